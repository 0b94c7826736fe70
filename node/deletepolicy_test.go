package node

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/repair"
)

// fakeFed is a catalog view, a manifest store and the nodes' block stores in memory.
type fakeFed struct {
	mu        sync.Mutex
	nodes     []catalog.Node // in registration order
	objs      []*catalog.Object
	manifests map[cid.Cid]*chunker.Manifest
	fetches   map[cid.Cid]int             // manifest fetches per manifest
	blocks    map[string]map[cid.Cid]bool // node → blocks held
	hasCalls  int
}

func testPeer(t testing.TB, name string) string {
	t.Helper()
	h, err := mh.Sum([]byte(name), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return peer.ID(h).String()
}

func testCID(codec uint64, s string) cid.Cid {
	h, _ := mh.Sum([]byte(s), mh.SHA2_256, -1)
	return cid.NewCidV1(codec, h)
}

// newFakeFed registers six active nodes in three members; catalog "c" places at 3+2.
func newFakeFed(t testing.TB) *fakeFed {
	f := &fakeFed{manifests: map[cid.Cid]*chunker.Manifest{}, fetches: map[cid.Cid]int{}, blocks: map[string]map[cid.Cid]bool{}}
	for i := range 6 {
		f.nodes = append(f.nodes, catalog.Node{PeerID: testPeer(t, fmt.Sprintf("n%d", i)), Member: fmt.Sprintf("m%d", i%3), State: catalog.NodeActive})
	}
	return f
}

func (f *fakeFed) id(i int) string { return f.nodes[i].PeerID }

// publish commits an object with the given number of stripes and returns its manifest.
func (f *fakeFed) publish(name string, stripes int) (cid.Cid, *chunker.Manifest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &chunker.Manifest{K: 3, M: 2}
	for s := range stripes {
		var st chunker.Stripe
		for i := range 5 {
			st.Shards = append(st.Shards, testCID(cid.Raw, fmt.Sprintf("%s/%d/%d", name, s, i)))
		}
		m.Stripes = append(m.Stripes, st)
	}
	mc := testCID(cid.DagCBOR, "manifest "+name)
	f.manifests[mc] = m
	f.objs = append(f.objs, &catalog.Object{PID: testCID(cid.DagCBOR, "pid "+name), Catalog: "c", Manifest: mc, Index: uint64(10 * (len(f.objs) + 1))})
	return mc, m
}

func (f *fakeFed) setState(i int, s catalog.NodeState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes[i].State = s
}

func (f *fakeFed) hold(node string, c cid.Cid) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocks[node] == nil {
		f.blocks[node] = map[cid.Cid]bool{}
	}
	f.blocks[node][c] = true
}

func (f *fakeFed) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objs)
}

func (f *fakeFed) Objects(cursor string, limit int) (catalog.Page, error) {
	after, err := catalog.ParseCursor(cursor)
	if err != nil {
		return catalog.Page{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out catalog.Page
	for _, o := range f.objs {
		if o.Index > after && len(out.Objects) < limit {
			out.Objects = append(out.Objects, o)
		}
	}
	if n := len(out.Objects); n > 0 && out.Objects[n-1] != f.objs[len(f.objs)-1] {
		out.Next = strconv.FormatUint(out.Objects[n-1].Index, 10)
	}
	return out, nil
}

func (f *fakeFed) Resolve(p cid.Cid) (*catalog.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.objs {
		if o.PID.Equals(p) {
			return o, nil
		}
	}
	return nil, errs.Errorf("fake", errs.NotExist, "no object %s", p)
}

func (f *fakeFed) Node(id string) (catalog.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.nodes {
		if n.PeerID == id {
			return n, nil
		}
	}
	return catalog.Node{}, errs.Errorf("fake", errs.NotExist, "no node %s", id)
}

func (f *fakeFed) Catalog(name string) (catalog.Catalog, error) {
	if name != "c" {
		return catalog.Catalog{}, errs.Errorf("fake", errs.NotExist, "no catalog %q", name)
	}
	return catalog.Catalog{Name: "c", Placement: catalog.Placement{K: 3, M: 2}}, nil
}

// placementNodes lists active and draining nodes as node.placementNodesAll does.
func (f *fakeFed) placementNodes() []placement.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []placement.Node
	for _, n := range f.nodes {
		if n.State == catalog.NodeActive || n.State == catalog.NodeDraining {
			out = append(out, placement.Node{ID: n.PeerID, Member: n.Member, Region: "TW", Active: n.State == catalog.NodeActive, FreeBytes: math.MaxInt64})
		}
	}
	return out
}

func (f *fakeFed) manifest(_ context.Context, c cid.Cid) (*chunker.Manifest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches[c]++
	m, ok := f.manifests[c]
	if !ok {
		return nil, errs.Errorf("fake", errs.NotExist, "manifest %s unreachable", c)
	}
	return m, nil
}

func (f *fakeFed) has(_ context.Context, node string, cids []cid.Cid) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hasCalls++
	out := make([]bool, len(cids))
	for i, c := range cids {
		out[i] = f.blocks[node][c]
	}
	return out, nil
}

// policy returns node self's delete policy over f.
func (f *fakeFed) policy(self string) *deletePolicy {
	return &deletePolicy{self: self, state: f, nodes: f.placementNodes, has: f.has,
		index:   newRefIndex(f, f.manifest, time.Now),
		refused: newRefusedCounter(prometheus.NewRegistry()), log: slog.New(slog.DiscardHandler)}
}

// shardHolder returns Place's holder of shard i of stripe st under the current membership.
func (f *fakeFed) shardHolder(t *testing.T, st *chunker.Stripe, i int) string {
	t.Helper()
	hs, err := placement.Place(st.PlacementKey(), f.placementNodes(), placement.Policy{K: 3, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	return hs[i]
}

// other returns a node that is neither excluded nor designated for any shard of st.
func (f *fakeFed) other(t *testing.T, st *chunker.Stripe, exclude ...string) string {
	t.Helper()
	hs, _ := placement.Place(st.PlacementKey(), f.placementNodes(), placement.Policy{K: 3, M: 2})
	for _, n := range f.nodes {
		if !slices.Contains(hs, n.PeerID) && !slices.Contains(exclude, n.PeerID) {
			return n.PeerID
		}
	}
	t.Fatal("test setup: every node is designated")
	return ""
}

// activeOtherThan returns an active node other than id.
func (f *fakeFed) activeOtherThan(id string) string {
	for _, n := range f.nodes {
		if n.PeerID != id && n.State == catalog.NodeActive {
			return n.PeerID
		}
	}
	return ""
}

func decideCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDeleteNeedsAnActiveRegisteredCaller(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[0]
	designated := f.shardHolder(t, st, 0)
	self := f.other(t, st)
	f.hold(self, c)
	f.hold(designated, c)
	p := f.policy(self)
	caller := f.id(0)
	if got := p.decide(decideCtx(t), caller, c); got != "" {
		t.Fatalf("active caller, copy on the designated holder: refused (%s), want allowed", got)
	}
	if got := p.decide(decideCtx(t), testPeer(t, "stranger"), c); got != refuseCaller {
		t.Fatalf("unregistered caller: %q, want %q", got, refuseCaller)
	}
	f.setState(0, catalog.NodeGone)
	if got := p.decide(decideCtx(t), caller, c); got != refuseCaller {
		t.Fatalf("gone caller: %q, want %q", got, refuseCaller)
	}
}

func TestDeleteOfUnreferencedBlockIsRefused(t *testing.T) {
	f := newFakeFed(t)
	f.publish("a", 2)
	orphan := testCID(cid.Raw, "orphan")
	for _, n := range f.nodes {
		f.hold(n.PeerID, orphan) // held everywhere: only the reference rule can refuse
	}
	p := f.policy(f.id(1))
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnreferenced {
		t.Fatalf("unreferenced block: %q, want %q", got, refuseUnreferenced)
	}
	f.setState(1, catalog.NodeDraining) // a draining node accepts any active copy, but not here
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnreferenced {
		t.Fatalf("unreferenced block on a draining node: %q, want %q", got, refuseUnreferenced)
	}
	// With a manifest unreachable, "not found" proves nothing: still refused, as unknown.
	mc, _ := f.publish("b", 1)
	delete(f.manifests, mc)
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnknown {
		t.Fatalf("unreferenced block, index incomplete: %q, want %q", got, refuseUnknown)
	}
}

func TestDeleteRefusedOnTheDesignatedHolderUnlessItDrains(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[2]
	self := f.shardHolder(t, st, 2)
	for _, n := range f.nodes {
		f.hold(n.PeerID, c) // copies everywhere: only the designated rule can refuse
	}
	p := f.policy(self)
	if got := p.decide(decideCtx(t), f.other(t, st), c); got != refuseDesignated {
		t.Fatalf("delete on the designated holder: %q, want %q", got, refuseDesignated)
	}
	for i, n := range f.nodes {
		if n.PeerID == self {
			f.setState(i, catalog.NodeDraining)
		}
	}
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != "" {
		t.Fatalf("delete on a draining former holder with copies elsewhere: refused (%s)", got)
	}
}

func TestDeleteKeepsTheLastDesignatedCopy(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[1]
	designated := f.shardHolder(t, st, 1)
	self := f.other(t, st) // outside the stripe's placement
	f.hold(self, c)
	for i := range 5 {
		if h := f.shardHolder(t, st, i); h != designated {
			f.hold(h, c) // designated for other shards of the stripe, not for this one
		}
	}
	p := f.policy(self)
	caller := f.id(0)
	if got := p.decide(decideCtx(t), caller, c); got != refuseLastCopy {
		t.Fatalf("no designated holder of the shard has it: %q, want %q", got, refuseLastCopy)
	}
	f.hold(designated, c)
	if got := p.decide(decideCtx(t), caller, c); got != "" {
		t.Fatalf("designated holder has it: refused (%s)", got)
	}
}

func TestManifestDeleteNeedsACopyOnItsDesignatedHolders(t *testing.T) {
	f := newFakeFed(t)
	mc, _ := f.publish("a", 1)
	plan, err := placement.NewPlan(f.placementNodes(), placement.Policy{K: 3, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	ranked := plan.Ranked(repair.ManifestKey(mc))
	designated, _ := repair.PlanReplicas(ranked, nil, 3, func(string) bool { return true })
	p := f.policy(designated[0])
	for _, n := range f.nodes {
		f.hold(n.PeerID, mc)
	}
	if got := p.decide(decideCtx(t), f.id(0), mc); got != refuseDesignated {
		t.Fatalf("manifest delete on its designated holder: %q, want %q", got, refuseDesignated)
	}
	self := ranked[len(ranked)-1].ID // last in rank order: not designated
	f.blocks = map[string]map[cid.Cid]bool{}
	f.hold(self, mc)
	f.hold(ranked[len(ranked)-2].ID, mc)
	p = f.policy(self)
	if got := p.decide(decideCtx(t), f.id(0), mc); got != refuseLastCopy {
		t.Fatalf("manifest held only off its designated holders: %q, want %q", got, refuseLastCopy)
	}
	f.hold(designated[2], mc)
	if got := p.decide(decideCtx(t), f.id(0), mc); got != "" {
		t.Fatalf("manifest on a designated holder: refused (%s)", got)
	}
}

func TestDrainingNodeDeletesAgainstAnyActiveCopy(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[0]
	self := f.shardHolder(t, st, 0)
	for i, n := range f.nodes {
		if n.PeerID == self {
			f.setState(i, catalog.NodeDraining)
		}
	}
	f.hold(self, c)
	p := f.policy(self)
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != refuseLastCopy {
		t.Fatalf("draining node holds the only copy: %q, want %q", got, refuseLastCopy)
	}
	// Repair moved it where placement.Repair keeps the other shards: not Place's holder of
	// shard 0, still an active node.
	elsewhere := f.shardHolder(t, st, 1)
	if elsewhere == f.shardHolder(t, st, 0) {
		t.Fatal("test setup")
	}
	f.hold(elsewhere, c)
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != "" {
		t.Fatalf("draining copy with an active copy elsewhere: refused (%s)", got)
	}
}

func TestRefusalsAreCountedByReason(t *testing.T) {
	f := newFakeFed(t)
	f.publish("a", 1)
	p := f.policy(f.id(1))
	from, err := peer.Decode(f.id(0))
	if err != nil {
		t.Fatal(err)
	}
	if p.allow(decideCtx(t), from, testCID(cid.Raw, "orphan")) {
		t.Fatal("unreferenced block deleted")
	}
	var got dto.Metric
	if err := p.refused.WithLabelValues(refuseUnreferenced).Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Fatalf("refusals counted: %v (%v), want 1", got.GetCounter().GetValue(), err)
	}
}

func TestRefIndexExtendsInsteadOfWalkingEveryManifest(t *testing.T) {
	f := newFakeFed(t)
	var mcs []cid.Cid
	for i := range 5 {
		mc, _ := f.publish(fmt.Sprint(i), 3)
		mcs = append(mcs, mc)
	}
	x := newRefIndex(f, f.manifest, time.Now)
	ctx := decideCtx(t)
	for range 3 {
		if refs, known, err := x.lookup(ctx, mcs[4]); err != nil || !known || len(refs) != 1 || refs[0].Stripe != -1 {
			t.Fatalf("lookup of a manifest: %+v, %v, %v", refs, known, err)
		}
	}
	for _, mc := range mcs {
		if f.fetches[mc] != 1 {
			t.Fatalf("manifest fetched %d times over 3 lookups, want once (no walk per lookup)", f.fetches[mc])
		}
	}
	mc, m := f.publish("new", 2)
	refs, known, err := x.lookup(ctx, m.Stripes[1].Shards[4])
	if err != nil || !known || len(refs) != 1 || refs[0].Stripe != 1 || refs[0].Shard != 4 || refs[0].Manifest != mc {
		t.Fatalf("lookup of a shard of a new object: %+v, %v, %v", refs, known, err)
	}
	if f.fetches[mcs[0]] != 1 {
		t.Fatal("a new object made the index walk the old ones again")
	}
	// Another history (a snapshot restore with fewer objects): rebuilt, old references gone.
	f.mu.Lock()
	f.objs = f.objs[:2]
	f.mu.Unlock()
	if refs, known, _ := x.lookup(ctx, m.Stripes[1].Shards[4]); len(refs) != 0 || !known {
		t.Fatalf("after the catalog shrank: %+v, known %v; want no references", refs, known)
	}
}

func TestRefIndexStopsAtItsBound(t *testing.T) {
	f := newFakeFed(t)
	_, m1 := f.publish("a", 1)
	_, m2 := f.publish("b", 1)
	x := newRefIndex(f, f.manifest, time.Now)
	x.maxRefs = 7 // one object: its manifest and 5 shards
	ctx := decideCtx(t)
	if refs, known, err := x.lookup(ctx, m1.Stripes[0].Shards[0]); err != nil || len(refs) != 1 || known {
		t.Fatalf("indexed object at the bound: %+v, known %v, %v; want found, index incomplete", refs, known, err)
	}
	if refs, known, _ := x.lookup(ctx, m2.Stripes[0].Shards[0]); len(refs) != 0 || known {
		t.Fatalf("object beyond the bound: %+v, known %v; want not found and not known", refs, known)
	}
	if x.nrefs > x.maxRefs {
		t.Fatalf("index holds %d references, bound %d", x.nrefs, x.maxRefs)
	}
}

func TestTailKeysSharedPrefixIsCheckedAgainstTheManifest(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	x := newRefIndex(f, f.manifest, time.Now)
	ctx := decideCtx(t)
	real := m.Stripes[0].Shards[3]
	// A CID of another codec with the same digest shares the key but is not referenced.
	twin := cid.NewCidV1(cid.DagCBOR, real.Hash())
	if refs, known, err := x.lookup(ctx, twin); err != nil || len(refs) != 0 || !known {
		t.Fatalf("same digest, other CID: %+v, %v, %v; want no references", refs, known, err)
	}
	if refs, _, _ := x.lookup(ctx, real); len(refs) != 1 {
		t.Fatalf("real shard: %+v", refs)
	}
}
