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

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
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
