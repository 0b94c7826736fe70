package repair

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/store"
)

// diskShards is Shards over one real disk store per node (fsync, verify on Put and Get).
type diskShards struct {
	stores map[string]store.Store
	down   map[string]bool
}

func (d *diskShards) at(node string) (store.Store, error) {
	s, ok := d.stores[node]
	if !ok || d.down[node] {
		return nil, errs.Errorf("disk", errs.Unavailable, "node %s unreachable", node)
	}
	return s, nil
}

func (d *diskShards) Has(ctx context.Context, node string, cids []cid.Cid) ([]bool, error) {
	s, err := d.at(node)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(cids))
	for i, c := range cids {
		if out[i], err = s.Has(ctx, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *diskShards) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	s, err := d.at(node)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, c)
}

func (d *diskShards) Put(ctx context.Context, node string, c cid.Cid, b []byte) error {
	s, err := d.at(node)
	if err != nil {
		return err
	}
	return s.Put(ctx, c, b)
}

func (d *diskShards) Delete(ctx context.Context, node string, c cid.Cid) error {
	s, err := d.at(node)
	if err != nil {
		return err
	}
	return s.Delete(ctx, c)
}

// Shards implements chunker.ShardSource over the reachable stores (decode reads only those).
func (d *diskShards) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	out := make([][]byte, len(cids))
	for i, c := range cids {
		for n := range d.stores {
			if b, err := d.Get(ctx, n, c); err == nil {
				out[i] = b
				break
			}
		}
	}
	return out, nil
}

// TestNodeLossOverDiskStores runs the node-loss repair over real disk stores: the lost node's
// shards are rebuilt onto other nodes' disks and the object decodes from them.
func TestNodeLossOverDiskStores(t *testing.T) {
	ctx := context.Background()
	nodes := makeNodes(t, "a", "a", "b", "b", "c", "c")
	ds := &diskShards{stores: map[string]store.Store{}, down: map[string]bool{}}
	for _, n := range nodes {
		s, err := store.OpenDisk(t.TempDir(), store.DiskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ds.stores[n.ID] = s
	}
	plan, err := placement.NewPlan(nodes, pol32)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 300<<10)
	rand.Read(data)
	dek, _ := chunker.NewDEK()
	res, err := chunker.Encode(ctx, bytes.NewReader(data), chunker.Params{K: 3, M: 2, StripeSize: 64 << 10, Workers: 1}, dek,
		func(ctx context.Context, s *chunker.EncodedStripe) error {
			holders, err := plan.Place(s.PlacementKey)
			for i := 0; err == nil && i < len(holders); i++ {
				err = ds.Put(ctx, holders[i], s.CIDs[i], s.Shards[i])
			}
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	cat := &fakeCatalog{nodes: nodes, objects: []Object{{ID: "o", Policy: pol32, Manifest: res.Manifest}}}
	ds.down[nodes[1].ID] = true
	clock := newFakeClock()
	reps := map[string]*Repairer{}
	pass := func() (sum Report) {
		for _, n := range nodes {
			if ds.down[n.ID] {
				continue
			}
			if reps[n.ID] == nil {
				cfg := DefaultConfig()
				cfg.Self, cfg.Catalog, cfg.Shards, cfg.Clock, cfg.BytesPerSecond = n.ID, cat, ds, clock, 0
				if reps[n.ID], err = New(cfg); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := reps[n.ID].Pass(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sum.add(&rep)
		}
		return sum
	}
	pass()
	clock.advance(DefaultConfig().Grace)
	if rep := pass(); rep.Rebuilt == 0 || rep.Failed != 0 || rep.Full != len(res.Manifest.Stripes) {
		t.Fatalf("repair over disk stores: %+v", rep)
	}
	var out bytes.Buffer
	if err := chunker.Decode(ctx, res.Manifest, dek, ds, &out, 0, -1); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("decode after repair: %v", err)
	}
	for _, st := range res.Manifest.Stripes { // every shard on a reachable disk again
		for i, c := range st.Shards {
			found := false
			for n := range ds.stores {
				if bits, err := ds.Has(ctx, n, []cid.Cid{c}); err == nil && bits[0] {
					found = true
				}
			}
			if !found {
				t.Fatalf("shard %d of a stripe is on no reachable disk", i)
			}
		}
	}
}
