package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
	"github.com/meridian-fed/meridian/store"
)

// answersFixture is a node with no network: a catalog replica fed commands directly and a
// manifest cache, enough for the read paths that need neither Raft nor the mesh.
type answersFixture struct {
	t     *testing.T
	n     *Node
	index uint64
	key   ed25519.PrivateKey
}

const fixtureToken = "secret-token-of-pub"

func newAnswersFixture(t *testing.T) *answersFixture {
	cache, _ := lru.New[cid.Cid, *chunker.Manifest](256)
	seed := sha256.Sum256([]byte("pub"))
	f := &answersFixture{t: t, key: ed25519.NewKeyFromSeed(seed[:]),
		n: &Node{state: catalog.New(), manifests: cache, log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	f.run("admin", &catalog.Bootstrap{
		Federation: catalog.Federation{Name: "t", DefaultPlacement: catalog.Placement{K: 2, M: 1}},
		Member:     catalog.Member{ID: "m1", Name: "M1", Region: "TW", Recipient: "age1raj2cr5f38edr63f73c9qxrjmpu26ykym6knp0rmxdkrus4jv30sxkxtq8"},
		Admin:      catalog.User{ID: "admin", Member: "m1", Roles: policy.RoleAdmin},
	})
	f.run("admin", &catalog.AddUser{User: catalog.User{ID: "pub", Member: "m1", Roles: policy.RolePublish | policy.RoleRead,
		Key: f.key.Public().(ed25519.PublicKey), Tokens: []catalog.Hash{catalog.TokenHash([]byte(fixtureToken))}}})
	f.run("admin", &catalog.CreateCatalog{Name: "c", Owner: "m1", Scope: policy.Scope{Kind: policy.ScopePublic}})
	return f
}

func (f *answersFixture) run(actor string, body catalog.Body) {
	f.t.Helper()
	cmd, err := catalog.NewCommand(actor, body)
	if err != nil {
		f.t.Fatal(err)
	}
	f.index++
	cmd.Time = int64(f.index) * 1e9
	b, err := cmd.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	if r := f.n.state.Apply(f.index, b); r.Err != nil {
		f.t.Fatalf("%s: %v", body.Kind(), r.Err)
	}
}

// publish commits an object derived from parents and, when cached, puts a manifest of
// stripes stripes coded k+m in the node's cache. It returns the PID.
func (f *answersFixture) publish(name string, cached bool, parents ...string) string {
	f.t.Helper()
	content := []byte("content of " + name)
	sum := sha256.Sum256(content)
	h, _ := mh.Encode(sum[:], mh.SHA2_256)
	r := &pid.Record{V: pid.Version, Content: cid.NewCidV1(cid.Raw, h), SHA256: sum[:], Size: int64(len(content)),
		Type: "text/plain", Name: name, Catalog: "c", Publisher: pid.Publisher{Member: "m1", User: "pub"}, Created: "2026-01-02T03:04:05Z"}
	for _, p := range parents {
		c, err := pid.Parse(p)
		if err != nil {
			f.t.Fatal(err)
		}
		r.DerivedFrom = append(r.DerivedFrom, c)
	}
	if err := r.Sign(f.key); err != nil {
		f.t.Fatal(err)
	}
	rec, err := r.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	mhash, _ := mh.Sum([]byte("manifest of "+name), mh.SHA2_256, -1)
	man := cid.NewCidV1(cid.DagCBOR, mhash)
	p := pid.Sum(rec)
	f.run("pub", &catalog.Publish{PID: p.String(), Record: rec, Manifest: man.String(),
		Keys: []catalog.WrappedKey{{Member: "m1", Key: []byte("k")}}})
	if cached {
		f.n.manifests.Add(man, &chunker.Manifest{K: 4, M: 2, Size: r.Size, Content: r.Content, Stripes: make([]chunker.Stripe, 3)})
	}
	return pid.Format(p)
}

func pids(objs []api.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.PID)
	}
	return out
}

func TestProvenanceDepth(t *testing.T) {
	f := newAnswersFixture(t)
	a := f.publish("a", true)
	b := f.publish("b", true, a)
	c := f.publish("c", true, b)
	ctx := context.Background()
	anon := api.Subject{Anonymous: true}
	for _, tc := range []struct {
		depth int
		want  []string
	}{
		{0, []string{c}}, // the object alone, not "everything"
		{1, []string{c, b}},
		{2, []string{c, b, a}},
		{3, []string{c, b, a}},
	} {
		got, err := f.n.Provenance(ctx, anon, c, tc.depth)
		if err != nil {
			t.Fatalf("depth %d: %v", tc.depth, err)
		}
		if g := pids(got); !slices.Equal(g, tc.want) {
			t.Errorf("depth %d: got %v, want %v", tc.depth, g, tc.want)
		}
	}
	if _, err := f.n.Provenance(ctx, anon, c, -1); errs.KindOf(err) != errs.Invalid {
		t.Errorf("depth -1: %v, want Invalid", err)
	}
}

func TestProvenanceDepthIsCapped(t *testing.T) {
	f := newAnswersFixture(t)
	last := f.publish("g0", true)
	for i := 1; i <= maxProvenanceDepth+2; i++ {
		last = f.publish(fmt.Sprintf("g%d", i), true, last)
	}
	got, err := f.n.Provenance(context.Background(), api.Subject{Anonymous: true}, last, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxProvenanceDepth+1 {
		t.Fatalf("got %d objects, want the object and %d generations", len(got), maxProvenanceDepth)
	}
}

func TestObjectLayoutFromCachedManifest(t *testing.T) {
	f := newAnswersFixture(t)
	p := f.publish("a", true)
	o, err := f.n.Object(context.Background(), api.Subject{Anonymous: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	if o.Stripes != 3 || o.K != 4 || o.M != 2 {
		t.Fatalf("stripes %d, k %d, m %d; want 3, 4, 2 from the manifest", o.Stripes, o.K, o.M)
	}
}

func TestLayoutLeftZeroWhenManifestUnreachable(t *testing.T) {
	f := newAnswersFixture(t)
	p := f.publish("a", false)
	c, _ := pid.Parse(p)
	o, err := f.n.state.Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	down := func(context.Context, cid.Cid) (*chunker.Manifest, error) {
		return nil, errs.Errorf("test", errs.Unavailable, "no holder reachable")
	}
	if m := layoutOf(context.Background(), o, f.n.manifests, down); m != nil {
		t.Fatalf("layout from a failed fetch: %+v", m)
	}
	// A fetch that hangs is cut off by the budget.
	hang := func(ctx context.Context, _ cid.Cid) (*chunker.Manifest, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctx, cancel := layoutBudget(context.Background())
	defer cancel()
	start := time.Now()
	if m := layoutOf(ctx, o, f.n.manifests, hang); m != nil || time.Since(start) > 10*layoutWait {
		t.Fatalf("hanging fetch: %+v after %v", m, time.Since(start))
	}
	// A spent budget is not spent again: no fetch at all.
	called := false
	if m := layoutOf(ctx, o, f.n.manifests, func(context.Context, cid.Cid) (*chunker.Manifest, error) {
		called = true
		return nil, nil
	}); m != nil || called {
		t.Fatalf("fetched with a spent budget: %+v, called %v", m, called)
	}
	// A spent budget makes the answer omit the layout, not fail (the cache is empty and the
	// node has no store: a fetch attempt would panic).
	obj, err := f.n.toAPIObjectCtx(ctx, o)
	if err != nil || obj.Stripes != 0 || obj.K != 0 || obj.M != 0 {
		t.Fatalf("toAPIObjectCtx = %+v, %v", obj, err)
	}
	// A manifest of other content is not shown.
	other := &chunker.Manifest{K: 9, M: 9, Size: o.Size + 1, Content: o.Content, Stripes: make([]chunker.Stripe, 1)}
	f.n.manifests.Add(o.Manifest, other)
	if m := layoutOf(context.Background(), o, f.n.manifests, down); m != nil {
		t.Fatalf("layout from a manifest of another size: %+v", m)
	}
}

func TestAuthenticateWaitsForCatchUp(t *testing.T) {
	f := newAnswersFixture(t)
	ctx := context.Background()
	for _, tok := range []string{"", fixtureToken, "unknown"} {
		if _, err := f.n.Authenticate(ctx, tok); errs.KindOf(err) != errs.NotCaughtUp || !strings.Contains(err.Error(), "catching up") {
			t.Errorf("token %q before catch-up: %v, want NotCaughtUp", tok, err)
		}
	}
	f.n.catchUp.open.Store(true)
	if sub, err := f.n.Authenticate(ctx, fixtureToken); err != nil || sub.User != "pub" {
		t.Errorf("valid token after catch-up: %+v, %v", sub, err)
	}
	if _, err := f.n.Authenticate(ctx, "unknown"); errs.KindOf(err) != errs.Unauthenticated {
		t.Errorf("unknown token after catch-up: %v, want Unauthenticated", err)
	}
	if sub, err := f.n.Authenticate(ctx, ""); err != nil || !sub.Anonymous {
		t.Errorf("anonymous after catch-up: %+v, %v", sub, err)
	}
}

func TestDescribeNode(t *testing.T) {
	usage := func() (store.Usage, error) { return store.Usage{Used: 10, Free: 90}, nil }
	v := nodeView{self: "self", api: "127.0.0.1:7000", usage: usage, connected: func(p string) bool { return p == "up" }}
	self := describeNode(catalog.Node{PeerID: "self", Member: "m1", Voter: true, State: catalog.NodeActive}, v)
	if self.API != "127.0.0.1:7000" || self.Used != 10 || self.Free != 90 || !self.Connected || self.State != "active" {
		t.Errorf("self: %+v", self)
	}
	up := describeNode(catalog.Node{PeerID: "up", Member: "m2", Capacity: 1 << 30, State: catalog.NodeDraining}, v)
	if !up.Connected || up.API != "" || up.Used != 0 || up.Free != 0 || up.State != "draining" {
		t.Errorf("other node: %+v (the registry carries no API address or usage)", up)
	}
	if down := describeNode(catalog.Node{PeerID: "down"}, v); down.Connected {
		t.Errorf("unconnected node: %+v", down)
	}
	v.usage = func() (store.Usage, error) { return store.Usage{}, errs.Errorf("t", errs.Unavailable, "disk gone") }
	if s := describeNode(catalog.Node{PeerID: "self"}, v); s.Used != 0 || s.API == "" {
		t.Errorf("self without usage: %+v", s)
	}
}
