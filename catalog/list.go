package catalog

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/meridian-fed/meridian/errs"
)

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	scanChunk    = 1024 // objects examined per read-lock hold during a scan
)

// Page is one page of objects in publish order. Next is the cursor of the following page, ""
// at the end.
type Page struct {
	Objects []*Object
	Next    string
}

// ParseCursor reads a cursor returned in Page.Next ("" is the start): the publish index of
// the last object already returned.
func ParseCursor(c string) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(c, 10, 64)
	if err != nil {
		return 0, errs.Errorf("catalog.ParseCursor", errs.Invalid, "bad cursor %q: pass the next value of the previous page", c)
	}
	return n, nil
}

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// List returns a page of catalog's objects in publish order, after cursor. The order is
// stable: objects are only appended, so paging never skips or repeats an object. It does not
// check permission: call Authorize(sub, policy.Read, catalog) first.
func (s *State) List(catalog, cursor string, limit int) (Page, error) {
	after, err := ParseCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = clampLimit(limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.catalogs[catalog]
	if c == nil {
		return Page{}, noCatalog("catalog.List", catalog)
	}
	i := firstAfter(c.objs, after)
	objs := slices.Clone(c.objs[i:min(i+limit, len(c.objs))])
	return page(objs, i+len(objs) < len(c.objs)), nil
}

func page(objs []*Object, more bool) Page {
	p := Page{Objects: objs}
	if more && len(objs) > 0 {
		p.Next = strconv.FormatUint(objs[len(objs)-1].Index, 10)
	}
	return p
}

// firstAfter returns the position of the first object with Index > after.
func firstAfter(objs []*Object, after uint64) int {
	i, found := slices.BinarySearchFunc(objs, after, func(o *Object, idx uint64) int { return cmp.Compare(o.Index, idx) })
	if found {
		i++
	}
	return i
}

// Objects returns a page of all objects in publish order, after cursor: the iteration repair
// and re-wrap jobs use.
func (s *State) Objects(cursor string, limit int) (Page, error) {
	after, err := ParseCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = clampLimit(limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := firstAfter(s.order, after)
	objs := slices.Clone(s.order[i:min(i+limit, len(s.order))])
	return page(objs, i+len(objs) < len(s.order)), nil
}

// scan calls fn for the objects of catalog (all objects when catalog is "") with Index >
// after, in publish order, until fn returns false. It holds the read lock for at most
// scanChunk objects at a time, so a long scan does not stall Apply.
func (s *State) scan(catalog string, after uint64, fn func(*Object) bool) error {
	for {
		chunk, err := s.chunk(catalog, after)
		if err != nil || len(chunk) == 0 {
			return err
		}
		for _, o := range chunk {
			if !fn(o) {
				return nil
			}
		}
		after = chunk[len(chunk)-1].Index
	}
}

func (s *State) chunk(catalog string, after uint64) ([]*Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	objs := s.order
	if catalog != "" {
		c := s.catalogs[catalog]
		if c == nil {
			return nil, noCatalog("catalog.Search", catalog)
		}
		objs = c.objs
	}
	i := firstAfter(objs, after)
	return slices.Clone(objs[i:min(i+scanChunk, len(objs))]), nil
}

// Audit returns up to limit audit entries with Index ≥ from, and the from of the next page (0
// at the end).
func (s *State) Audit(from uint64, limit int) ([]AuditEntry, uint64) {
	limit = clampLimit(limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(s.audit, from, func(e AuditEntry, idx uint64) int { return cmp.Compare(e.Index, idx) })
	out := slices.Clone(s.audit[i:min(i+limit, len(s.audit))])
	var next uint64
	if i+len(out) < len(s.audit) {
		next = s.audit[i+len(out)].Index
	}
	return out, next
}

// VerifyAuditChain recomputes the hash chain over entries, starting from prev (the zero hash
// for the first entry of the log), and returns the position of the first entry whose Hash
// does not match, or -1 when the chain holds. An auditor runs it over pages fetched from
// several nodes.
func VerifyAuditChain(prev Hash, entries []AuditEntry) int {
	for i := range entries {
		if chainHash(prev, &entries[i]) != entries[i].Hash {
			return i
		}
		prev = entries[i].Hash
	}
	return -1
}
