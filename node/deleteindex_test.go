package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
)

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
