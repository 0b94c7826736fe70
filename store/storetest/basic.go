package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
	mh "github.com/multiformats/go-multihash"
)

// shardSize is the size of a shard of a 4 MiB stripe with k=3, the common block.
const shardSize = 1398102

func testPutGet(t *testing.T, h Harness) {
	s := h.New(t, 0)
	var total int64
	cases := []struct {
		size  int
		codec uint64
	}{{0, cid.Raw}, {1, cid.Raw}, {1000, cid.DagCBOR}, {shardSize, cid.Raw}}
	for i, tc := range cases {
		c, b := Block(t, uint64(i), tc.size, tc.codec)
		mustPut(t, s, c, b)
		mustGet(t, s, c, b)
		if ok, err := s.Has(ctx(t), c); !ok || err != nil {
			t.Fatalf("Has %s = %v, %v after Put", c, ok, err)
		}
		if n, err := s.Stat(ctx(t), c); n != int64(tc.size) || err != nil {
			t.Fatalf("Stat %s = %d, %v; want %d", c, n, err, tc.size)
		}
		total += int64(tc.size)
	}
	wantUsage(t, s, int64(len(cases)), total)
	// The same bytes under another codec are another block.
	c, b := Block(t, 3, shardSize, cid.Raw)
	other := cid.NewCidV1(cid.DagCBOR, c.Hash())
	if ok, _ := s.Has(ctx(t), other); ok {
		t.Fatal("Has reports a block under a codec it was not put with")
	}
	mustPut(t, s, other, b)
	wantUsage(t, s, int64(len(cases))+1, total+int64(len(b)))
}

func testMissing(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, _ := Block(t, 1, 10, cid.Raw)
	if _, err := s.Get(ctx(t), c); !errs.Is(err, errs.NotExist) {
		t.Errorf("Get of a missing block: err = %v, want NotExist", err)
	}
	if _, err := s.Stat(ctx(t), c); !errs.Is(err, errs.NotExist) {
		t.Errorf("Stat of a missing block: err = %v, want NotExist", err)
	}
	if ok, err := s.Has(ctx(t), c); ok || err != nil {
		t.Errorf("Has of a missing block = %v, %v", ok, err)
	}
	if err := s.Delete(ctx(t), c); err != nil {
		t.Errorf("Delete of a missing block: %v", err)
	}
}

func testUnsupportedCID(t *testing.T, h Harness) {
	s := h.New(t, 0)
	data := []byte("hello")
	v0 := cid.NewCidV0(LegacyCID(t, data, cid.DagProtobuf).Hash())
	sha512, _ := mh.Sum(data, mh.SHA2_512, -1)
	ident, _ := mh.Sum(data, mh.IDENTITY, -1)
	blake3x64, _ := mh.Sum(data, mh.BLAKE3, 64)
	for _, c := range []cid.Cid{cid.Undef, v0, cid.NewCidV1(cid.Raw, sha512), cid.NewCidV1(cid.Raw, ident), cid.NewCidV1(cid.Raw, blake3x64)} {
		if err := s.Put(ctx(t), c, data); !errs.Is(err, errs.Invalid) {
			t.Errorf("Put %v: err = %v, want Invalid", c, err)
		}
		if _, err := s.Get(ctx(t), c); !errs.Is(err, errs.Invalid) {
			t.Errorf("Get %v: err = %v, want Invalid", c, err)
		}
		if _, err := s.Has(ctx(t), c); !errs.Is(err, errs.Invalid) {
			t.Errorf("Has %v: err = %v, want Invalid", c, err)
		}
	}
	wantUsage(t, s, 0, 0)
}

func testPutMismatch(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, _ := Block(t, 1, 100, cid.Raw)
	_, other := Block(t, 2, 100, cid.Raw)
	if err := s.Put(ctx(t), c, other); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("Put of bytes that do not match the CID: err = %v, want Corrupt", err)
	}
	if ok, _ := s.Has(ctx(t), c); ok {
		t.Fatal("a rejected block is present")
	}
	wantUsage(t, s, 0, 0)
}

func testPutTooBig(t *testing.T, h Harness) {
	s := h.New(t, 0)
	b := make([]byte, store.MaxBlockSize+1)
	if err := s.Put(ctx(t), CID(t, b, cid.Raw), b); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Put of %d bytes: err = %v, want Invalid", len(b), err)
	}
}

func testPutTwice(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, b := Block(t, 1, 5000, cid.Raw)
	mustPut(t, s, c, b)
	mustPut(t, s, c, b)
	wantUsage(t, s, 1, 5000)
}

func testDelete(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c1, b1 := Block(t, 1, 5000, cid.Raw)
	c2, b2 := Block(t, 2, 3000, cid.Raw)
	mustPut(t, s, c1, b1)
	mustPut(t, s, c2, b2)
	if err := s.Delete(ctx(t), c1); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has(ctx(t), c1); ok {
		t.Fatal("deleted block still present")
	}
	if _, err := s.Get(ctx(t), c1); !errs.Is(err, errs.NotExist) {
		t.Fatalf("Get of a deleted block: err = %v, want NotExist", err)
	}
	mustGet(t, s, c2, b2)
	wantUsage(t, s, 1, 3000)
	mustPut(t, s, c1, b1)
	wantUsage(t, s, 2, 8000)
}

func testBuffers(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, b := Block(t, 1, 100, cid.Raw)
	orig := bytes.Clone(b)
	mustPut(t, s, c, b)
	b[0] ^= 0xff // the caller reuses its buffer
	mustGet(t, s, c, orig)
	got, _ := s.Get(ctx(t), c)
	got[1] ^= 0xff // the caller scribbles on what Get returned
	mustGet(t, s, c, orig)
}

func testEnumerate(t *testing.T, h Harness) {
	s := h.New(t, 0)
	want := make(map[cid.Cid]int64)
	for i := range 40 {
		c, b := Block(t, uint64(i), 10*i, cid.Raw)
		mustPut(t, s, c, b)
		want[c] = int64(len(b))
	}
	got := list(t, s)
	if len(got) != len(want) {
		t.Fatalf("Enumerate listed %d blocks, want %d", len(got), len(want))
	}
	for c, n := range want {
		if got[c] != n {
			t.Errorf("Enumerate: %s has size %d, want %d", c, got[c], n)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Enumerate(ctx(t), func(cid.Cid, int64) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Enumerate after fn failed: err = %v after %d calls, want stop after 1", err, calls)
	}
	c, cancel := context.WithCancel(ctx(t))
	calls = 0
	err = s.Enumerate(c, func(cid.Cid, int64) error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Enumerate after cancel: err = %v after %d calls, want context.Canceled after 1", err, calls)
	}
}

func testCanceled(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, b := Block(t, 1, 100, cid.Raw)
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(cctx, c, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context: err = %v", err)
	}
	if ok, _ := s.Has(ctx(t), c); ok {
		t.Fatal("Put with a canceled context stored the block")
	}
	if _, err := s.Get(cctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a canceled context: err = %v", err)
	}
}
