package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
	"github.com/multiformats/go-multihash"
)

// fakeBackend is an in-memory Backend with fault knobs, for the HTTP layer's unit tests.
// Tokens: "admin" (aist/root, admin), "reader" (nchc/r, read), "" anonymous.
type fakeBackend struct {
	mu       sync.Mutex
	catalogs map[string]*Catalog
	objects  map[string]*Object
	content  map[string][]byte // by PID
	order    []string          // PIDs in publish order
	subs     map[string][]chan Object
	users    map[string]*User
	index    uint64

	// fault knobs (set before use)
	fail         map[string]error // method name -> error to return
	failAfter    int64            // ReadContent fails after writing this many bytes (0: never)
	publishFirst error            // Publish returns this before reading any byte
	publishAfter int64            // Publish fails (Unavailable) after reading this many bytes
	corrupt      bool             // ReadContent flips the first byte it writes
	published    int              // Publish calls that committed
	subscribed   chan string      // receives the catalog of every new subscription
}

func newFake() *fakeBackend {
	f := &fakeBackend{
		catalogs:   map[string]*Catalog{},
		objects:    map[string]*Object{},
		content:    map[string][]byte{},
		subs:       map[string][]chan Object{},
		users:      map[string]*User{"root": {ID: "root", Member: "aist", Roles: []string{"admin"}}},
		fail:       map[string]error{},
		subscribed: make(chan string, 16),
	}
	f.catalogs["open"] = &Catalog{Name: "open", Owner: "aist", Scope: "public"}
	f.catalogs["closed"] = &Catalog{Name: "closed", Owner: "aist", Scope: "members:nchc"} // "reader" may read it
	return f
}

func (f *fakeBackend) knob(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[name]
}

func (f *fakeBackend) Authenticate(ctx context.Context, token string) (Subject, error) {
	if err := f.knob("Authenticate"); err != nil {
		return Subject{}, err
	}
	switch token {
	case "":
		return Subject{Anonymous: true}, nil
	case "admin":
		return Subject{Member: "aist", User: "root", Roles: []string{"admin", "publish", "read"}}, nil
	case "reader":
		return Subject{Member: "nchc", User: "r", Roles: []string{"read"}}, nil
	}
	return Subject{}, errs.Errorf("fake.Authenticate", errs.Unauthenticated, "unknown token")
}

func has(sub Subject, role string) bool {
	for _, r := range sub.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// canReadLocked applies policy.Can; a refusal looks like a miss (fakepolicy_test.go).
func (f *fakeBackend) canReadLocked(sub Subject, catalog string) error {
	c, ok := f.catalogs[catalog]
	if !ok {
		return errs.Errorf("fake", errs.NotExist, "no catalog %q", catalog)
	}
	return concealed(fakeCan(sub, policy.Read, c), "catalog "+catalog)
}

func fakeCID(codec uint64, b []byte) string {
	mh, err := multihash.Sum(b, multihash.SHA2_256, -1)
	if err != nil {
		panic(err)
	}
	return cid.NewCidV1(codec, mh).String()
}

func (f *fakeBackend) Publish(ctx context.Context, sub Subject, req PublishRequest, body io.Reader) (*Object, error) {
	if f.publishFirst != nil {
		return nil, f.publishFirst
	}
	if !has(sub, "publish") {
		return nil, errs.Errorf("fake.Publish", errs.Permission, "you may not publish")
	}
	var r io.Reader = body
	if f.publishAfter > 0 {
		r = io.LimitReader(body, f.publishAfter)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("fake.Publish: read: %w", err)
	}
	if f.publishAfter > 0 {
		return nil, errs.Errorf("fake.Publish", errs.Unavailable, "holders went away after %d bytes", len(data))
	}
	sum := sha256.Sum256(data)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.catalogs[req.Catalog]; !ok {
		return nil, errs.Errorf("fake.Publish", errs.NotExist, "no catalog %q", req.Catalog)
	}
	f.index++
	rec := Record{V: 1, Content: fakeCID(cid.Raw, data), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		Type: req.Type, Name: req.Name, Catalog: req.Catalog, Meta: req.Meta, DerivedFrom: req.DerivedFrom,
		Activity: req.Activity, Publisher: Publisher{Member: sub.Member, User: sub.User},
		Created: "2026-11-22T00:00:00Z"}
	fakeSign(&rec)
	o := &Object{PID: fakeRecordCID(rec), Record: rec, PublishIndex: f.index,
		Published: time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC), K: 3, M: 2, Stripes: 1}
	f.objects[o.PID], f.content[o.PID] = o, data
	f.order = append(f.order, o.PID)
	f.published++
	for _, ch := range f.subs[req.Catalog] {
		select {
		case ch <- *o:
		default:
		}
	}
	return o, nil
}

func (f *fakeBackend) Object(ctx context.Context, sub Subject, pid string) (*Object, error) {
	if err := f.knob("Object"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[pid]
	if !ok {
		return nil, errs.Errorf("fake.Object", errs.NotExist, "no object %s", pid)
	}
	if err := f.canReadLocked(sub, o.Record.Catalog); err != nil {
		if errs.Is(err, errs.NotExist) {
			return nil, errs.Errorf("fake.Object", errs.NotExist, "no object %s that you may read", pid)
		}
		return nil, err
	}
	cp := *o
	return &cp, nil
}

func (f *fakeBackend) ReadContent(ctx context.Context, sub Subject, pid string, off, length int64, w io.Writer) error {
	if err := f.knob("ReadContent"); err != nil {
		return err
	}
	if _, err := f.Object(ctx, sub, pid); err != nil {
		return err
	}
	f.mu.Lock()
	data := f.content[pid]
	failAfter, corrupt := f.failAfter, f.corrupt
	f.mu.Unlock()
	if length < 0 {
		length = int64(len(data)) - off
	}
	part := append([]byte(nil), data[off:off+length]...)
	if corrupt && len(part) > 0 {
		part[0] ^= 0xff
	}
	if failAfter > 0 && failAfter < int64(len(part)) {
		if _, err := w.Write(part[:failAfter]); err != nil {
			return err
		}
		return errs.Errorf("fake.ReadContent", errs.Unavailable, "holders went away")
	}
	_, err := w.Write(part)
	return err
}

func (f *fakeBackend) Provenance(ctx context.Context, sub Subject, pid string, depth int) ([]Object, error) {
	var out []Object
	queue := []string{pid}
	for d := 0; d <= depth && len(queue) > 0; d++ {
		var next []string
		for _, p := range queue {
			o, err := f.Object(ctx, sub, p)
			if err != nil {
				return nil, err
			}
			out = append(out, *o)
			next = append(next, o.Record.DerivedFrom...)
		}
		queue = next
	}
	return out, nil
}

func (f *fakeBackend) Verify(ctx context.Context, sub Subject, pid string, content bool) (*Verification, error) {
	o, err := f.Object(ctx, sub, pid)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	data := f.content[pid]
	f.mu.Unlock()
	return fakeVerify(o, data, content), nil
}

func (f *fakeBackend) ListObjects(ctx context.Context, sub Subject, catalog, cursor string, limit int) (*ObjectPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.canReadLocked(sub, catalog); err != nil {
		return nil, err
	}
	var page ObjectPage
	started := cursor == ""
	for _, p := range f.order {
		o := f.objects[p]
		if o.Record.Catalog != catalog {
			continue
		}
		if !started {
			started = p == cursor
			continue
		}
		if len(page.Objects) == limit {
			page.Next = page.Objects[len(page.Objects)-1].PID
			break
		}
		page.Objects = append(page.Objects, *o)
	}
	return &page, nil
}

func (f *fakeBackend) Search(ctx context.Context, sub Subject, q Query) (*ObjectPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var page ObjectPage
	for _, p := range f.order {
		o := f.objects[p]
		if f.canReadLocked(sub, o.Record.Catalog) != nil || (q.Catalog != "" && q.Catalog != o.Record.Catalog) ||
			!strings.Contains(o.Record.Name, q.Name) {
			continue
		}
		match := true
		for k, v := range q.Meta {
			match = match && o.Record.Meta[k] == v
		}
		if match && len(page.Objects) < q.Limit {
			page.Objects = append(page.Objects, *o)
		}
	}
	return &page, nil
}

func (f *fakeBackend) CreateCatalog(ctx context.Context, sub Subject, c Catalog) (*Catalog, error) {
	if err := f.knob("CreateCatalog"); err != nil {
		return nil, err
	}
	if !has(sub, "admin") {
		return nil, errs.Errorf("fake.CreateCatalog", errs.Permission, "admins only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.catalogs[c.Name]; ok {
		return nil, errs.Errorf("fake.CreateCatalog", errs.Exist, "catalog %q exists", c.Name)
	}
	c.Owner = sub.Member
	f.catalogs[c.Name] = &c
	return &c, nil
}

func (f *fakeBackend) Catalogs(ctx context.Context, sub Subject) ([]Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Catalog
	for _, c := range f.catalogs {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeBackend) Catalog(ctx context.Context, sub Subject, name string) (*Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.canReadLocked(sub, name); err != nil {
		return nil, err // a catalog the caller may not read looks missing, as on a node
	}
	cp := *f.catalogs[name]
	return &cp, nil
}

func (f *fakeBackend) UpdateCatalog(ctx context.Context, sub Subject, name string, u CatalogUpdate) (*Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.catalogs[name]
	if !ok {
		return nil, errs.Errorf("fake.UpdateCatalog", errs.NotExist, "no catalog %q", name)
	}
	if u.Scope != nil {
		c.Scope = *u.Scope
	}
	if u.Grants != nil {
		c.Grants = *u.Grants
	}
	if u.Placement != nil {
		c.Placement = *u.Placement
	}
	cp := *c
	return &cp, nil
}

func (f *fakeBackend) AddUser(ctx context.Context, sub Subject, u User) (*NewToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.ID]; ok {
		return nil, errs.Errorf("fake.AddUser", errs.Exist, "user %q exists", u.ID)
	}
	u.Tokens = []string{"t1"}
	f.users[u.ID] = &u
	return &NewToken{User: u.ID, ID: "t1", Secret: "secret-" + u.ID}, nil
}

func (f *fakeBackend) AddToken(ctx context.Context, sub Subject, user string) (*NewToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return nil, errs.Errorf("fake.AddToken", errs.NotExist, "no user %q", user)
	}
	id := fmt.Sprintf("t%d", len(u.Tokens)+1)
	u.Tokens = append(u.Tokens, id)
	return &NewToken{User: user, ID: id, Secret: "secret"}, nil
}

func (f *fakeBackend) RevokeToken(ctx context.Context, sub Subject, user, tokenID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return errs.Errorf("fake.RevokeToken", errs.NotExist, "no user %q", user)
	}
	for i, t := range u.Tokens {
		if t == tokenID {
			u.Tokens = append(u.Tokens[:i], u.Tokens[i+1:]...)
			return nil
		}
	}
	return errs.Errorf("fake.RevokeToken", errs.NotExist, "no token %q", tokenID)
}

func (f *fakeBackend) Users(ctx context.Context, sub Subject) ([]User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []User
	for _, u := range f.users {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeBackend) Members(ctx context.Context, sub Subject) ([]Member, error) {
	return []Member{{ID: "aist", Name: "AIST", Region: "JP"}, {ID: "nchc", Name: "NCHC", Region: "TW"}}, nil
}

func (f *fakeBackend) Nodes(ctx context.Context, sub Subject) ([]NodeInfo, error) {
	return []NodeInfo{{PeerID: "12D3KooWfake", Member: "aist", Voter: true, State: "active", Connected: true}}, nil
}

func (f *fakeBackend) SetNodeState(ctx context.Context, sub Subject, peerID, state string) (*NodeInfo, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("fake.SetNodeState", errs.Unauthenticated, "needs a token")
	}
	if peerID != "12D3KooWfake" {
		return nil, errs.Errorf("fake.SetNodeState", errs.NotExist, "no node %s", peerID)
	}
	return &NodeInfo{PeerID: peerID, Member: "aist", State: state}, nil
}

func (f *fakeBackend) Scrub(ctx context.Context, sub Subject) (*ScrubReport, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("fake.Scrub", errs.Unauthenticated, "needs a token")
	}
	return &ScrubReport{Blocks: 3, Bytes: 300}, nil
}

func (f *fakeBackend) Status(ctx context.Context, sub Subject) (*Status, error) {
	if err := f.knob("Status"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &Status{Leader: "12D3KooWfake", Term: 2, Applied: f.index, Objects: new(len(f.objects))}, nil
}

func (f *fakeBackend) AuditLog(ctx context.Context, sub Subject, from uint64, limit int) (*AuditPage, error) {
	var p AuditPage
	for i := from; i < 5 && len(p.Entries) < limit; i++ {
		p.Entries = append(p.Entries, AuditEntry{Index: i, Actor: "aist/root", Kind: "publish", Digest: "d"})
	}
	if from+uint64(len(p.Entries)) < 5 {
		p.Next = from + uint64(len(p.Entries))
	}
	return &p, nil
}

func (f *fakeBackend) Subscribe(ctx context.Context, sub Subject, catalog string) (<-chan Object, error) {
	f.mu.Lock()
	if err := f.canReadLocked(sub, catalog); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	ch := make(chan Object, 16)
	f.subs[catalog] = append(f.subs[catalog], ch)
	f.mu.Unlock()
	f.subscribed <- catalog
	return ch, nil
}

func (f *fakeBackend) Ready(ctx context.Context) error { return f.knob("Ready") }

var _ Backend = (*fakeBackend)(nil)

// newBenchServer serves the API over f on loopback for benchmarks.
func newBenchServer(b *testing.B, f *fakeBackend) string {
	ts := httptest.NewServer(NewServer(f, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	b.Cleanup(ts.Close)
	return ts.URL
}
