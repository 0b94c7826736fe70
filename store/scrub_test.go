package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
)

// TestScrubPacingStopsOnDeadline paces a scrub at 1 byte/s: after the first 1000-byte block it
// must wait, and the context's deadline must end that wait with a Timeout.
func TestScrubPacingStopsOnDeadline(t *testing.T) {
	m := store.NewMemory(0)
	for i := range 3 {
		c, b := storetest.Block(t, uint64(i), 1000, cid.Raw)
		if err := m.Put(context.Background(), c, b); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rep, err := store.Scrub(ctx, m, store.ScrubOptions{BytesPerSecond: 1}, nil)
	if !errs.Is(err, errs.Timeout) || rep.Blocks != 1 {
		t.Fatalf("paced scrub = %+v, %v; want 1 block then Timeout", rep, err)
	}
}

// TestScrubRemoveWithoutHelper checks Remove on a store without the lock-aware fast path: the
// damaged block is deleted through Store.Delete.
func TestScrubRemoveWithoutHelper(t *testing.T) {
	m := store.NewMemory(0)
	c, b := storetest.Block(t, 1, 1000, cid.Raw)
	if err := m.Put(context.Background(), c, b); err != nil {
		t.Fatal(err)
	}
	m.Corrupt(c)
	rep, err := store.Scrub(context.Background(), plain{m}, store.ScrubOptions{Remove: true}, nil)
	if err != nil || rep.Corrupt != 1 || rep.Removed != 1 {
		t.Fatalf("Scrub = %+v, %v; want 1 corrupt, 1 removed", rep, err)
	}
	if ok, _ := m.Has(context.Background(), c); ok {
		t.Fatal("damaged block still present")
	}
}

// plain hides every method but the Store interface.
type plain struct{ store.Store }
