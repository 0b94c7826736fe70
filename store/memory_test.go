package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.TestHarness(t, storetest.Harness{
		New: func(t *testing.T, capacity int64) store.Store { return store.NewMemory(capacity) },
		Corrupt: func(t *testing.T, s store.Store, c cid.Cid) {
			if !s.(*store.Memory).Corrupt(c) {
				t.Fatalf("Corrupt: %s not present", c)
			}
		},
	})
}

func TestMemoryFaults(t *testing.T) {
	ctx := context.Background()
	m := store.NewMemory(0)
	c, b := storetest.Block(t, 1, 100, cid.Raw)
	boom := errs.E("disk", errs.Unavailable, errors.New("boom"))
	m.FailNextPut(boom)
	if err := m.Put(ctx, c, b); !errors.Is(err, boom) {
		t.Fatalf("Put after FailNextPut: err = %v", err)
	}
	if ok, _ := m.Has(ctx, c); ok {
		t.Fatal("a failed Put stored the block")
	}
	if err := m.Put(ctx, c, b); err != nil {
		t.Fatalf("the fault was not one-shot: %v", err)
	}
	m.FailNextGet(boom)
	if _, err := m.Get(ctx, c); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Get after FailNextGet: err = %v", err)
	}
	if _, err := m.Get(ctx, c); err != nil {
		t.Fatalf("the fault was not one-shot: %v", err)
	}
	m.FailNextGet(boom)
	var seen error
	rep, err := store.Scrub(ctx, m, store.ScrubOptions{Remove: true}, func(_ cid.Cid, err error) { seen = err })
	if err != nil || rep.Failed != 1 || rep.Removed != 0 || !errors.Is(seen, boom) {
		t.Fatalf("Scrub over a failing read = %+v, %v (reported %v); want 1 failed, none removed", rep, err, seen)
	}
}
