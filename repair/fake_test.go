package repair

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/store"
)

// peerID returns a valid, deterministic peer ID for a test node name.
func peerID(t testing.TB, name string) string {
	t.Helper()
	h, err := mh.Sum([]byte(name), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return peer.ID(h).String()
}

// makeNodes returns active nodes named n0, n1, … with the given members.
func makeNodes(t testing.TB, members ...string) []placement.Node {
	t.Helper()
	out := make([]placement.Node, len(members))
	for i, m := range members {
		out[i] = placement.Node{ID: peerID(t, fmt.Sprintf("n%d", i)), Member: m, Region: "TW", Active: true, FreeBytes: 1 << 40}
	}
	return out
}

// fakeNet is an in-memory federation of shard stores with fault knobs.
type fakeNet struct {
	mu      sync.Mutex
	blocks  map[string]map[cid.Cid][]byte // node → blocks
	down    map[string]bool               // unreachable: every call fails
	flaky   map[string]bool               // answers probes (one CID) but fails larger HAS requests
	puts    map[string]int                // node → puts received
	deletes int
	moved   int64                  // bytes got and put
	trace   func(op string, n int) // called on every Get/Put with its size (rate tests)
}

func newFakeNet() *fakeNet {
	return &fakeNet{blocks: map[string]map[cid.Cid][]byte{}, down: map[string]bool{}, flaky: map[string]bool{}, puts: map[string]int{}}
}

func (f *fakeNet) reach(node string) error {
	if f.down[node] {
		return errs.Errorf("fake", errs.Unavailable, "node %s is down", node)
	}
	return nil
}

func (f *fakeNet) Has(ctx context.Context, node string, cids []cid.Cid) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return nil, err
	}
	if f.flaky[node] && len(cids) > 1 {
		return nil, errs.Errorf("fake", errs.Timeout, "node %s timed out", node)
	}
	out := make([]bool, len(cids))
	for i, c := range cids {
		_, out[i] = f.blocks[node][c]
	}
	return out, nil
}

func (f *fakeNet) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return nil, err
	}
	b, ok := f.blocks[node][c]
	if !ok {
		return nil, errs.Errorf("fake", errs.NotExist, "no block %s on %s", c, node)
	}
	f.moved += int64(len(b))
	if f.trace != nil {
		f.trace("get", len(b))
	}
	return bytes.Clone(b), nil
}

func (f *fakeNet) Put(ctx context.Context, node string, c cid.Cid, data []byte) error {
	if err := store.Verify(c, data); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return err
	}
	f.set(node, c, bytes.Clone(data))
	f.puts[node]++
	f.moved += int64(len(data))
	if f.trace != nil {
		f.trace("put", len(data))
	}
	return nil
}

func (f *fakeNet) Delete(ctx context.Context, node string, c cid.Cid) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return err
	}
	delete(f.blocks[node], c)
	f.deletes++
	return nil
}

func (f *fakeNet) set(node string, c cid.Cid, b []byte) {
	if f.blocks[node] == nil {
		f.blocks[node] = map[cid.Cid][]byte{}
	}
	f.blocks[node][c] = b
}

// corrupt flips a byte of c on node (bit rot that HAS cannot see).
func (f *fakeNet) corrupt(node string, c cid.Cid) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks[node][c][0] ^= 0xff
}

func (f *fakeNet) setDown(node string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[node] = down
}

// wipe loses everything a node held.
func (f *fakeNet) wipe(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.blocks, node)
}

// holders returns the nodes holding c.
func (f *fakeNet) holders(c cid.Cid) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, bs := range f.blocks {
		if _, ok := bs[c]; ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeNet) count(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.blocks[node])
}

func (f *fakeNet) snapshot() map[string]map[cid.Cid]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[cid.Cid]string{}
	for n, bs := range f.blocks {
		out[n] = map[cid.Cid]string{}
		for c, b := range bs {
			out[n][c] = string(b)
		}
	}
	return out
}

// fakeCatalog is a fixed membership and object list.
type fakeCatalog struct {
	mu      sync.Mutex
	nodes   []placement.Node
	objects []Object
}

func (c *fakeCatalog) Nodes(ctx context.Context) ([]placement.Node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.nodes), nil
}

func (c *fakeCatalog) Objects(ctx context.Context, fn func(Object) error) error {
	c.mu.Lock()
	objs := slices.Clone(c.objects)
	c.mu.Unlock()
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (c *fakeCatalog) setActive(id string, active bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.nodes {
		if c.nodes[i].ID == id {
			c.nodes[i].Active = active
		}
	}
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// fed is a test federation: nodes, their stores, the catalog, the objects' plaintext and DEKs.
type fed struct {
	t     testing.TB
	nodes []placement.Node
	net   *fakeNet
	cat   *fakeCatalog
	clock *fakeClock
	pol   placement.Policy
	data  map[string][]byte // object ID → plaintext
	deks  map[string][]byte
	reps  map[string]*Repairer // one per node, kept across passes like a node's loop
}

func newFed(t testing.TB, pol placement.Policy, members ...string) *fed {
	nodes := makeNodes(t, members...)
	return &fed{t: t, nodes: nodes, net: newFakeNet(), cat: &fakeCatalog{nodes: slices.Clone(nodes)},
		clock: newFakeClock(), pol: pol, data: map[string][]byte{}, deks: map[string][]byte{}, reps: map[string]*Repairer{}}
}

// publish encodes size random bytes in 64 KiB stripes and stores every shard where placement
// puts it, as node.Publish does.
func (f *fed) publish(name string, size int) *chunker.Manifest {
	f.t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	dek, _ := chunker.NewDEK()
	plan, err := placement.NewPlan(f.nodes, f.pol)
	if err != nil {
		f.t.Fatal(err)
	}
	p := chunker.Params{K: f.pol.K, M: f.pol.M, StripeSize: chunker.MinStripeSize, Workers: 1}
	res, err := chunker.Encode(context.Background(), bytes.NewReader(data), p, dek, func(ctx context.Context, s *chunker.EncodedStripe) error {
		holders, err := plan.Place(s.PlacementKey)
		if err != nil {
			return err
		}
		f.net.mu.Lock()
		defer f.net.mu.Unlock()
		for i, h := range holders {
			f.net.set(h, s.CIDs[i], bytes.Clone(s.Shards[i]))
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.data[name], f.deks[name] = data, dek
	f.storeManifest(plan, res.ManifestCID, res.ManifestBytes)
	f.cat.objects = append(f.cat.objects, Object{ID: name, Policy: f.pol, Manifest: res.Manifest, ManifestCID: res.ManifestCID})
	return res.Manifest
}

// storeManifest keeps the manifest on the publisher (node 0) and the next M nodes nearest its
// CID, as node.Publish does.
func (f *fed) storeManifest(plan *placement.Plan, c cid.Cid, b []byte) {
	f.net.mu.Lock()
	defer f.net.mu.Unlock()
	f.net.set(f.nodes[0].ID, c, bytes.Clone(b))
	stored := 1
	for _, n := range plan.Ranked(ManifestKey(c)) {
		if stored > f.pol.M {
			break
		}
		if n.ID != f.nodes[0].ID {
			f.net.set(n.ID, c, bytes.Clone(b))
			stored++
		}
	}
}

// manifests returns how many manifests node holds.
func (f *fed) manifests(node string) int {
	n := 0
	for _, o := range f.cat.objects {
		if slices.Contains(f.net.holders(o.ManifestCID), node) {
			n++
		}
	}
	return n
}

// checkManifests fails unless every manifest is on at least M+1 nodes other than gone.
func (f *fed) checkManifests(gone ...string) {
	f.t.Helper()
	for _, o := range f.cat.objects {
		n := 0
		for _, h := range f.net.holders(o.ManifestCID) {
			if !slices.Contains(gone, h) {
				n++
			}
		}
		if n < f.pol.M+1 {
			f.t.Fatalf("manifest of %s on %d nodes, want %d", o.ID, n, f.pol.M+1)
		}
	}
}

// repairer returns a repairer running as node self.
func (f *fed) repairer(self string, mod func(*Config)) *Repairer {
	f.t.Helper()
	cfg := DefaultConfig()
	cfg.Self, cfg.Catalog, cfg.Shards, cfg.Clock = self, f.cat, f.net, f.clock
	cfg.BytesPerSecond = 0
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// passAll runs a pass on every node that is up, as every node of a federation does.
func (f *fed) passAll() Report {
	f.t.Helper()
	var sum Report
	for _, n := range f.nodes {
		if f.net.down[n.ID] {
			continue
		}
		r := f.reps[n.ID]
		if r == nil {
			r = f.repairer(n.ID, nil)
			f.reps[n.ID] = r
		}
		rep, err := r.Pass(context.Background())
		if err != nil {
			f.t.Fatalf("pass on %s: %v", n.ID, err)
		}
		sum.add(&rep)
	}
	return sum
}

func (r *Report) add(o *Report) {
	r.Stripes += o.Stripes
	r.Full += o.Full
	r.Degraded += o.Degraded
	r.Critical += o.Critical
	r.Lost += o.Lost
	r.Rebuilt += o.Rebuilt
	r.Copied += o.Copied
	r.Deleted += o.Deleted
	r.Failed += o.Failed
	r.Pending += o.Pending
	r.Queued += o.Queued
	r.ManifestCopies += o.ManifestCopies
	r.ManifestDeletes += o.ManifestDeletes
	r.FoundDegraded += o.FoundDegraded
	r.FoundCritical += o.FoundCritical
	r.FoundLost += o.FoundLost
	r.BytesRebuilt += o.BytesRebuilt
}

// netSource reads shards from every reachable node, for chunker.Decode.
type netSource struct{ net *fakeNet }

func (s netSource) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	out := make([][]byte, len(cids))
	for i, c := range cids {
		for _, h := range s.net.holders(c) {
			if b, err := s.net.Get(ctx, h, c); err == nil {
				out[i] = b
				break
			}
		}
	}
	return out, nil
}

// readBack decodes every object from the shards on the net and compares it with its plaintext.
func (f *fed) readBack() {
	f.t.Helper()
	for _, o := range f.cat.objects {
		var buf bytes.Buffer
		if err := chunker.Decode(context.Background(), o.Manifest, f.deks[o.ID], netSource{f.net}, &buf, 0, -1); err != nil {
			f.t.Fatalf("object %s: %v", o.ID, err)
		}
		if !bytes.Equal(buf.Bytes(), f.data[o.ID]) {
			f.t.Fatalf("object %s reads back different bytes", o.ID)
		}
	}
}

// cidOf returns the raw CID of data.
func cidOf(data []byte) cid.Cid {
	d := sha256.Sum256(data)
	return rawCID(d[:])
}
