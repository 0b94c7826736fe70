package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// fakeBackend is an in-memory api.Backend that signs real records, for the client commands'
// tests. Tokens: "admin" (aist/root: admin, publish, read), "reader" (nchc/r: read), ""
// anonymous (public catalogs only).
type fakeBackend struct {
	key ed25519.PrivateKey

	mu       sync.Mutex // guards the fields below
	catalogs map[string]*api.Catalog
	objects  map[string]*api.Object // by bare PID
	records  map[string]*pid.Record // the signed records, by bare PID (what Verify checks)
	content  map[string][]byte
	order    []string
	users    map[string]*api.User
	// fault knobs
	wrongCID   bool // Publish records the content CID of other bytes (sha256 still right)
	corrupt    bool // ReadContent flips the first byte
	tamper     bool // Publish and Object answer with the record's name changed
	stripes    []api.StripeHealth
	placement  *api.PlacementAudit // what Verify reports for --placement
	waiting    int                 // what Status reports as stripes repair leaves waiting for placement
	waitingWhy string              // and why
	searched   api.Query           // the last query Search received
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		key:      ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)),
		catalogs: map[string]*api.Catalog{"open": {Name: "open", Owner: "aist", Scope: "public"}},
		objects:  map[string]*api.Object{},
		records:  map[string]*pid.Record{},
		content:  map[string][]byte{},
		users:    map[string]*api.User{"root": {ID: "root", Member: "aist", Roles: []string{"admin"}, Tokens: []string{"t0"}}},
		stripes:  []api.StripeHealth{{Index: 0, Reachable: 5, Needed: 3, Total: 5}},
	}
}

func (f *fakeBackend) Authenticate(ctx context.Context, token string) (api.Subject, error) {
	switch token {
	case "":
		return api.Subject{Anonymous: true}, nil
	case "admin":
		return api.Subject{Member: "aist", User: "root", Roles: []string{"admin", "publish", "read"}}, nil
	case "reader":
		return api.Subject{Member: "nchc", User: "r", Roles: []string{"read"}}, nil
	}
	return api.Subject{}, errs.Errorf("fake", errs.Unauthenticated, "unknown token")
}

func hasRole(sub api.Subject, role string) bool {
	for _, r := range sub.Roles {
		if r == role {
			return true
		}
	}
	return false
}

func (f *fakeBackend) canReadLocked(sub api.Subject, catalog string) error {
	c, ok := f.catalogs[catalog]
	if !ok {
		return errs.Errorf("fake", errs.NotExist, "no catalog %q", catalog)
	}
	if sub.Anonymous && c.Scope != "public" {
		return errs.Errorf("fake", errs.Permission, "catalog %q is not public", catalog)
	}
	return nil
}

func (f *fakeBackend) Publish(ctx context.Context, sub api.Subject, req api.PublishRequest, body io.Reader) (*api.Object, error) {
	if !hasRole(sub, "publish") {
		return nil, errs.Errorf("fake.Publish", errs.Permission, "you may not publish")
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	rec, err := f.record(sub, req, data)
	if err != nil {
		return nil, err
	}
	p, err := rec.PID()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.catalogs[req.Catalog]; !ok {
		return nil, errs.Errorf("fake.Publish", errs.NotExist, "no catalog %q", req.Catalog)
	}
	o := &api.Object{PID: pid.Format(p), Record: apiRecord(rec), PublishIndex: uint64(len(f.order) + 1),
		Published: time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC), K: 3, M: 2, Stripes: 1}
	f.objects[p.String()], f.content[p.String()], f.records[p.String()] = o, data, rec
	f.order = append(f.order, p.String())
	cp := *o
	if f.tamper {
		cp.Record.Name += ".changed"
	}
	return &cp, nil
}

// record builds and signs the record of data as a node does.
func (f *fakeBackend) record(sub api.Subject, req api.PublishRequest, data []byte) (*pid.Record, error) {
	hashed := data
	if f.wrongCID {
		hashed = append([]byte("other"), data...)
	}
	id, err := chunker.ComputeContentID(bytes.NewReader(hashed))
	if err != nil {
		return nil, err
	}
	id.SHA256 = sha256Of(data)
	rec := &pid.Record{V: pid.Version, Content: id.CID, SHA256: id.SHA256[:], Size: int64(len(data)),
		Type: req.Type, Name: req.Name, Catalog: req.Catalog, Created: "2026-11-22T00:00:00Z",
		Publisher: pid.Publisher{Member: sub.Member, User: sub.User}}
	if rec.Type == "" {
		rec.Type = "application/octet-stream"
	}
	for k, v := range req.Meta {
		if rec.Meta == nil {
			rec.Meta = map[string]any{}
		}
		rec.Meta[k] = v
	}
	for _, d := range req.DerivedFrom {
		c, err := pid.Parse(d)
		if err != nil {
			return nil, errs.E("fake.Publish", errs.Invalid, err)
		}
		rec.DerivedFrom = append(rec.DerivedFrom, c)
	}
	if a := req.Activity; a != nil {
		rec.Activity = &pid.Activity{Name: a.Name, Software: a.Software, Params: a.Params}
	}
	return rec, rec.Sign(f.key)
}

func apiRecord(r *pid.Record) api.Record {
	out := api.Record{V: int(r.V), Content: r.Content.String(), SHA256: hex.EncodeToString(r.SHA256), Size: r.Size,
		Type: r.Type, Name: r.Name, Catalog: r.Catalog, Created: r.Created,
		Publisher: api.Publisher{Member: r.Publisher.Member, User: r.Publisher.User, Key: base64.StdEncoding.EncodeToString(r.Publisher.Key)},
		Sig:       base64.StdEncoding.EncodeToString(r.Sig)}
	for k, v := range r.Meta {
		if out.Meta == nil {
			out.Meta = map[string]string{}
		}
		out.Meta[k] = fmt.Sprint(v)
	}
	for _, d := range r.DerivedFrom {
		out.DerivedFrom = append(out.DerivedFrom, pid.Format(d))
	}
	if a := r.Activity; a != nil {
		out.Activity = &api.Activity{Name: a.Name, Software: a.Software, Params: a.Params}
	}
	return out
}

func (f *fakeBackend) Object(ctx context.Context, sub api.Subject, p string) (*api.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[p]
	if !ok {
		return nil, errs.Errorf("fake.Object", errs.NotExist, "no object %s", p)
	}
	if err := f.canReadLocked(sub, o.Record.Catalog); err != nil {
		return nil, err
	}
	cp := *o
	if f.tamper {
		cp.Record.Name += ".changed"
	}
	return &cp, nil
}

func (f *fakeBackend) ReadContent(ctx context.Context, sub api.Subject, p string, off, length int64, w io.Writer) error {
	if _, err := f.Object(ctx, sub, p); err != nil {
		return err
	}
	f.mu.Lock()
	part := append([]byte(nil), f.content[p][off:off+length]...)
	if f.corrupt && len(part) > 0 {
		part[0] ^= 0xff
	}
	f.mu.Unlock()
	_, err := w.Write(part)
	return err
}

func (f *fakeBackend) Provenance(ctx context.Context, sub api.Subject, p string, depth int) ([]api.Object, error) {
	if depth < 0 {
		return nil, errs.Errorf("fake.Provenance", errs.Invalid, "negative depth")
	}
	depth = min(depth, 64) // as node.Provenance: 0 is the object alone, 64 the most
	var out []api.Object
	queue := []string{p}
	for d := 0; d <= depth && len(queue) > 0; d++ {
		var next []string
		for _, q := range queue {
			o, err := f.Object(ctx, sub, q)
			if err != nil {
				return nil, err
			}
			out = append(out, *o)
			for _, in := range o.Record.DerivedFrom {
				next = append(next, strings.TrimPrefix(in, pid.Scheme))
			}
		}
		queue = next
	}
	return out, nil
}

func (f *fakeBackend) ListObjects(ctx context.Context, sub api.Subject, catalog, cursor string, limit int) (*api.ObjectPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.canReadLocked(sub, catalog); err != nil {
		return nil, err
	}
	return f.pageLocked(cursor, limit, func(o *api.Object) bool { return o.Record.Catalog == catalog }), nil
}

// pageLocked returns up to limit matching objects after cursor (a bare PID).
func (f *fakeBackend) pageLocked(cursor string, limit int, match func(*api.Object) bool) *api.ObjectPage {
	page := &api.ObjectPage{Objects: []api.Object{}}
	started := cursor == ""
	for _, p := range f.order {
		o := f.objects[p]
		switch {
		case !match(o):
		case !started:
			started = p == cursor
		case len(page.Objects) == limit:
			page.Next = strings.TrimPrefix(page.Objects[limit-1].PID, pid.Scheme)
			return page
		default:
			page.Objects = append(page.Objects, *o)
		}
	}
	return page
}

func (f *fakeBackend) Search(ctx context.Context, sub api.Subject, q api.Query) (*api.ObjectPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searched = q
	return f.pageLocked(q.Cursor, q.Limit, func(o *api.Object) bool {
		ok := f.canReadLocked(sub, o.Record.Catalog) == nil && (q.Catalog == "" || q.Catalog == o.Record.Catalog) &&
			strings.Contains(o.Record.Name, q.Name)
		for k, v := range q.Meta {
			ok = ok && o.Record.Meta[k] == v
		}
		return ok
	}), nil
}

func sortedByName[T any](m map[string]*T, name func(*T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return name(&out[i]) < name(&out[j]) })
	return out
}

var _ api.Backend = (*fakeBackend)(nil)
