package catalog

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// Query selects objects. Empty fields match everything.
type Query struct {
	Catalog string            // only this catalog
	Name    string            // case-insensitive substring of the record's name
	Prefix  string            // case-insensitive prefix of the record's name
	Meta    map[string]string // exact matches of top-level meta values (integers in decimal)
	From    string            // RFC 3339, inclusive: the object's time range ends at or after it
	To      string            // RFC 3339, exclusive: the object's time range starts before it
	BBox    string            // "minx,miny,maxx,maxy" in WGS 84 degrees: intersects meta.bbox
	Cursor  string
	Limit   int
}

// compiled is a Query with its strings parsed.
type compiled struct {
	name     string
	prefix   string
	from, to time.Time
	bbox     *box
	q        *Query
}

func compile(q *Query) (*compiled, error) {
	const op = "catalog.Search"
	c := &compiled{name: strings.ToLower(q.Name), prefix: strings.ToLower(q.Prefix), q: q}
	var err error
	if q.From != "" {
		if c.from, err = time.Parse(time.RFC3339, q.From); err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "from %q is not an RFC 3339 time", q.From)
		}
	}
	if q.To != "" {
		if c.to, err = time.Parse(time.RFC3339, q.To); err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "to %q is not an RFC 3339 time", q.To)
		}
	}
	if q.BBox != "" {
		b, err := parseBox(q.BBox)
		if err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "bbox %q: %v; write minx,miny,maxx,maxy", q.BBox, err)
		}
		c.bbox = &b
	}
	return c, nil
}

// Search returns a page of the objects sub may read that match q, in publish order. Naming a
// catalog sub may not read is an error (Unauthenticated or Permission), not an empty page. It
// walks the smallest candidate list the indexes give (index.go, search_index.go) and scans in
// publish order when none narrows the search; both give the same page.
func (s *State) Search(sub policy.Subject, q Query) (Page, error) {
	after, err := ParseCursor(q.Cursor)
	if err != nil {
		return Page{}, err
	}
	c, err := compile(&q)
	if err != nil {
		return Page{}, err
	}
	if q.Catalog != "" {
		if err := s.Authorize(sub, policy.Read, q.Catalog); err != nil {
			return Page{}, err
		}
	}
	limit := clampLimit(q.Limit)
	if p, ok := s.searchIndexed(sub, c, after, limit); ok {
		return p, nil
	}
	readable := make(map[string]bool)
	var out []*Object
	more := false
	// A page says there is more only when another object sub may read matches: objects it
	// may not read must not show, not even as a next cursor that leads to an empty page.
	err = s.scan(q.Catalog, after, func(o *Object) bool {
		ok, seen := readable[o.Catalog]
		if !seen {
			ok = s.Authorize(sub, policy.Read, o.Catalog) == nil
			readable[o.Catalog] = ok
		}
		if !ok || !c.match(o) {
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, o)
		return true
	})
	return page(out, more), err
}

func (c *compiled) match(o *Object) bool {
	return c.matchPlain(o) && c.matchMeta(o)
}

// matchPlain checks every filter but meta.
func (c *compiled) matchPlain(o *Object) bool {
	if c.name != "" && !strings.Contains(strings.ToLower(o.Name), c.name) {
		return false
	}
	if c.prefix != "" && !strings.HasPrefix(strings.ToLower(o.Name), c.prefix) {
		return false
	}
	if !c.from.IsZero() || !c.to.IsZero() {
		start, end, ok := timeRange(o.When)
		if !ok || !c.from.IsZero() && end.Before(c.from) || !c.to.IsZero() && !start.Before(c.to) {
			return false
		}
	}
	if c.bbox != nil {
		b, err := parseBox(o.BBox)
		if err != nil || !b.intersects(*c.bbox) {
			return false
		}
	}
	return true
}

// matchMeta checks the meta filters. Decoding a record is slow (tens of µs), so the raw
// record must first contain every wanted key and value as bytes.
func (c *compiled) matchMeta(o *Object) bool {
	return c.matchMetaDecoded(o, func(string, string) bool { return true })
}

// matchMetaDecoded checks the meta filters that which selects.
func (c *compiled) matchMetaDecoded(o *Object, which func(k, v string) bool) bool {
	if len(c.q.Meta) == 0 {
		return true
	}
	for k, v := range c.q.Meta {
		if !which(k, v) {
			continue
		}
		if !bytes.Contains(o.Record, []byte(k)) {
			return false
		}
		// Integers are binary in CBOR; only text values can be looked for as bytes.
		if _, err := strconv.ParseInt(v, 10, 64); err != nil && !bytes.Contains(o.Record, []byte(v)) {
			return false
		}
	}
	rec, err := pid.Decode(o.Record)
	if err != nil {
		return false
	}
	for k, want := range c.q.Meta {
		if which(k, want) && metaString(rec.Meta[k]) != want {
			return false
		}
	}
	return true
}

func metaString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return noMatch // lists, maps and absent keys match no string
}

// timeRange parses an object's time: an RFC 3339 instant, or an interval "start/end" where
// ".." is open.
func timeRange(when string) (start, end time.Time, ok bool) {
	a, b, interval := strings.Cut(when, "/")
	if !interval {
		b = a
	}
	var err error
	start, end = time.Unix(-1<<62, 0), time.Unix(1<<62, 0)
	if a != ".." {
		if start, err = time.Parse(time.RFC3339, a); err != nil {
			return start, end, false
		}
	}
	if b != ".." {
		if end, err = time.Parse(time.RFC3339, b); err != nil {
			return start, end, false
		}
	}
	return start, end, true
}
