package repair

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/placement"
)

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
	size  int                  // stripe size; 0: chunker.MinStripeSize
	// onRepairer, if set, is told of every Repairer passEvery makes, before its pass.
	onRepairer func(*Repairer)
}

func newFed(t testing.TB, pol placement.Policy, members ...string) *fed {
	nodes := makeNodes(t, members...)
	return &fed{t: t, nodes: nodes, net: newFakeNet(), cat: &fakeCatalog{nodes: slices.Clone(nodes)},
		clock: newFakeClock(), pol: pol, data: map[string][]byte{}, deks: map[string][]byte{}, reps: map[string]*Repairer{}}
}

// publish encodes size random bytes in stripes of f.size (64 KiB by default) and stores every shard where placement
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
	p := chunker.Params{K: f.pol.K, M: f.pol.M, StripeSize: cmp.Or(f.size, chunker.MinStripeSize), Workers: 1}
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
	r.Unplaceable += o.Unplaceable
	if r.UnplaceableWhy == "" {
		r.UnplaceableWhy = o.UnplaceableWhy
	}
	r.Queued += o.Queued
	r.ManifestCopies += o.ManifestCopies
	r.ManifestDeletes += o.ManifestDeletes
	r.FoundDegraded += o.FoundDegraded
	r.FoundCritical += o.FoundCritical
	r.FoundLost += o.FoundLost
	r.BytesRebuilt += o.BytesRebuilt
	r.Unbalanced += o.Unbalanced
	r.RebalancedStripes += o.RebalancedStripes
	r.Rebalanced += o.Rebalanced
	r.RebalanceFailed += o.RebalanceFailed
	r.DeletesRefused += o.DeletesRefused
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
