// Package storetest checks that an implementation keeps the store.Store contract; the memory
// store, the disk store and any remote store run the same suite (perkeep's storagetest).
package storetest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/store"
)

// Harness tells the suite how to make and manipulate the store under test. Only New is
// required; the tests that need an optional hook are skipped without it.
type Harness struct {
	// New returns an empty store that holds at most capacity bytes of blocks (0: no limit),
	// closed by t.Cleanup. A store that cannot honour capacity skips the NoSpace test.
	New func(t *testing.T, capacity int64) store.Store
	// Reopen closes s and opens the same storage again, as a restart would.
	Reopen func(t *testing.T, s store.Store) store.Store
	// Corrupt damages the stored bytes of block c in place, as a bad disk would.
	Corrupt func(t *testing.T, s store.Store, c cid.Cid)
	// Interrupt leaves behind what a crash in the middle of Put(c, data) leaves behind.
	Interrupt func(t *testing.T, s store.Store, c cid.Cid, data []byte)
	// Debris counts the leftovers of interrupted writes; required with Interrupt.
	Debris func(t *testing.T, s store.Store) int
}

// Test runs the basic suite against stores made by newStore (no capacity, no fault hooks).
func Test(t *testing.T, newStore func(t *testing.T) store.Store) {
	TestHarness(t, Harness{New: func(t *testing.T, _ int64) store.Store { return newStore(t) }})
}

// TestHarness runs the whole suite, using the optional hooks h provides.
func TestHarness(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"PutGet", testPutGet},
		{"Missing", testMissing},
		{"UnsupportedCID", testUnsupportedCID},
		{"PutMismatch", testPutMismatch},
		{"LegacySHA256", testLegacySHA256},
		{"PutTooBig", testPutTooBig},
		{"PutTwice", testPutTwice},
		{"Delete", testDelete},
		{"CallerOwnsBuffers", testBuffers},
		{"Enumerate", testEnumerate},
		{"CanceledContext", testCanceled},
		{"ConcurrentSameCID", testConcurrentSame},
		{"ConcurrentMany", testConcurrentMany},
		{"NoSpace", testNoSpace},
		{"ScrubClean", testScrubClean},
		{"Corrupt", testCorrupt},
		{"Reopen", testReopen},
		{"InterruptedPut", testInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

// Block returns deterministic pseudo-random bytes of size n and their CID with the given
// codec (cid.Raw for shards, cid.DagCBOR for manifests).
func Block(t testing.TB, seed uint64, n int, codec uint64) (cid.Cid, []byte) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return CID(t, b, codec), b
}

// CID returns the CIDv1 (blake3, as shards and manifests are named) of b with the given codec.
func CID(t testing.TB, b []byte, codec uint64) cid.Cid {
	t.Helper()
	return cid.NewCidV1(codec, blockhash.Shard(b).Hash())
}

// LegacyCID returns the CIDv1 (sha2-256, as blocks were named before blake3) of b.
func LegacyCID(t testing.TB, b []byte, codec uint64) cid.Cid {
	t.Helper()
	m, err := mh.Sum(b, mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(codec, m)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustPut(t *testing.T, s store.Store, c cid.Cid, b []byte) {
	t.Helper()
	if err := s.Put(ctx(t), c, b); err != nil {
		t.Fatalf("Put %s (%d bytes): %v", c, len(b), err)
	}
}

func mustGet(t *testing.T, s store.Store, c cid.Cid, want []byte) {
	t.Helper()
	got, err := s.Get(ctx(t), c)
	if err != nil {
		t.Fatalf("Get %s: %v", c, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get %s returned %d bytes that differ from the %d put", c, len(got), len(want))
	}
}

func usage(t *testing.T, s store.Store) store.Usage {
	t.Helper()
	u, err := s.Usage(ctx(t))
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	return u
}

func wantUsage(t *testing.T, s store.Store, blocks, used int64) {
	t.Helper()
	if u := usage(t, s); u.Blocks != blocks || u.Used != used {
		t.Fatalf("Usage = %d blocks, %d bytes; want %d blocks, %d bytes", u.Blocks, u.Used, blocks, used)
	}
}

// list returns the store's blocks and sizes as Enumerate reports them, failing on duplicates.
func list(t *testing.T, s store.Store) map[cid.Cid]int64 {
	t.Helper()
	m := make(map[cid.Cid]int64)
	err := s.Enumerate(ctx(t), func(c cid.Cid, size int64) error {
		if _, dup := m[c]; dup {
			t.Errorf("Enumerate listed %s twice", c)
		}
		m[c] = size
		return nil
	})
	if err != nil {
		t.Fatalf("Enumerate: %v", err)
	}
	return m
}
