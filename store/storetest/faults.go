package storetest

import (
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

func testNoSpace(t *testing.T, h Harness) {
	const capacity = 10000
	s := h.New(t, capacity)
	if u := usage(t, s); u.Free > capacity {
		t.Skipf("store reports %d bytes free with a capacity of %d; capacity not supported", u.Free, capacity)
	}
	c1, b1 := Block(t, 1, 4000, cid.Raw)
	c2, b2 := Block(t, 2, 4000, cid.Raw)
	c3, b3 := Block(t, 3, 4000, cid.Raw)
	mustPut(t, s, c1, b1)
	mustPut(t, s, c2, b2)
	if u := usage(t, s); u.Free != 2000 {
		t.Fatalf("Usage.Free = %d after 8000 of %d bytes, want 2000", u.Free, capacity)
	}
	if err := s.Put(ctx(t), c3, b3); !errs.Is(err, errs.NoSpace) {
		t.Fatalf("Put over capacity: err = %v, want NoSpace", err)
	}
	if ok, _ := s.Has(ctx(t), c3); ok {
		t.Fatal("a block refused for space is present")
	}
	mustPut(t, s, c1, b1) // an existing block needs no space
	wantUsage(t, s, 2, 8000)
	if err := s.Delete(ctx(t), c1); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, c3, b3)
	wantUsage(t, s, 2, 8000)
}

func testScrubClean(t *testing.T, h Harness) {
	s := h.New(t, 0)
	var bytes int64
	for i := range 10 {
		c, b := Block(t, uint64(i), 100*i, cid.Raw)
		mustPut(t, s, c, b)
		bytes += int64(len(b))
	}
	rep, err := store.Scrub(ctx(t), s, store.ScrubOptions{Remove: true}, func(c cid.Cid, err error) {
		t.Errorf("scrub reported %s: %v", c, err)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ScrubReport{Blocks: 10, Bytes: bytes}); rep != want {
		t.Fatalf("Scrub = %+v, want %+v", rep, want)
	}
}

func testCorrupt(t *testing.T, h Harness) {
	if h.Corrupt == nil {
		t.Skip("no Corrupt hook")
	}
	s := h.New(t, 0)
	good, gb := Block(t, 1, 3000, cid.Raw)
	bad, bb := Block(t, 2, 5000, cid.DagCBOR)
	mustPut(t, s, good, gb)
	mustPut(t, s, bad, bb)
	h.Corrupt(t, s, bad)
	if _, err := s.Get(ctx(t), bad); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("Get of a damaged block: err = %v, want Corrupt", err)
	}
	if ok, _ := s.Has(ctx(t), bad); !ok {
		t.Fatal("Has must not hide a damaged block; Scrub removes it")
	}

	// Putting the block again repairs the damaged copy.
	mustPut(t, s, bad, bb)
	mustGet(t, s, bad, bb)

	h.Corrupt(t, s, bad)
	var reported []cid.Cid
	rep, err := store.Scrub(ctx(t), s, store.ScrubOptions{}, func(c cid.Cid, err error) {
		if !errs.Is(err, errs.Corrupt) {
			t.Errorf("scrub reported %s with %v, want Corrupt", c, err)
		}
		reported = append(reported, c)
	})
	if err != nil || rep.Blocks != 2 || rep.Corrupt != 1 || rep.Removed != 0 || len(reported) != 1 || reported[0] != bad {
		t.Fatalf("Scrub = %+v, %v, reported %v; want 2 blocks, 1 corrupt (%s)", rep, err, reported, bad)
	}
	rep, err = store.Scrub(ctx(t), s, store.ScrubOptions{Remove: true}, nil)
	if err != nil || rep.Corrupt != 1 || rep.Removed != 1 {
		t.Fatalf("Scrub with Remove = %+v, %v; want 1 corrupt, 1 removed", rep, err)
	}
	if ok, _ := s.Has(ctx(t), bad); ok {
		t.Fatal("scrub did not remove the damaged block")
	}
	mustGet(t, s, good, gb)
	wantUsage(t, s, 1, int64(len(gb)))
}

func testReopen(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("no Reopen hook")
	}
	s := h.New(t, 0)
	blocks := make(map[cid.Cid][]byte)
	var used int64
	for i := range 20 {
		c, b := Block(t, uint64(i), 500*i, cid.Raw)
		mustPut(t, s, c, b)
		blocks[c] = b
		used += int64(len(b))
	}
	s = h.Reopen(t, s)
	got := list(t, s)
	if len(got) != len(blocks) {
		t.Fatalf("after reopen Enumerate lists %d blocks, want %d", len(got), len(blocks))
	}
	for c, b := range blocks {
		if got[c] != int64(len(b)) {
			t.Errorf("after reopen %s has size %d, want %d", c, got[c], len(b))
		}
		mustGet(t, s, c, b)
	}
	wantUsage(t, s, int64(len(blocks)), used)
}

func testInterrupted(t *testing.T, h Harness) {
	if h.Interrupt == nil || h.Reopen == nil || h.Debris == nil {
		t.Skip("no Interrupt, Reopen or Debris hook")
	}
	s := h.New(t, 0)
	c, b := Block(t, 1, shardSize, cid.Raw)
	h.Interrupt(t, s, c, b[:len(b)/2])
	if h.Debris(t, s) == 0 {
		t.Fatal("Interrupt left no debris; the test would prove nothing")
	}
	if ok, _ := s.Has(ctx(t), c); ok {
		t.Fatal("a half-written block is visible")
	}
	if len(list(t, s)) != 0 {
		t.Fatal("Enumerate lists a half-written block")
	}
	s = h.Reopen(t, s)
	if n := h.Debris(t, s); n != 0 {
		t.Fatalf("%d leftovers of the interrupted write remain after reopen", n)
	}
	if _, err := s.Get(ctx(t), c); !errs.Is(err, errs.NotExist) {
		t.Fatalf("Get after reopen: err = %v, want NotExist", err)
	}
	wantUsage(t, s, 0, 0)
	mustPut(t, s, c, b)
	mustGet(t, s, c, b)
}
