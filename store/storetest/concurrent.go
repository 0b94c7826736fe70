package storetest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// testConcurrentSame puts one block from many goroutines while others read it: a reader sees
// either NotExist or the whole block, never a part, and the block is counted once.
func testConcurrentSame(t *testing.T, h Harness) {
	s := h.New(t, 0)
	c, b := Block(t, 7, shardSize, cid.Raw)
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for range 4 {
		wg.Go(func() {
			if err := s.Put(ctx(t), c, b); err != nil {
				errc <- err
			}
		})
		wg.Go(func() {
			for range 5 {
				got, err := s.Get(ctx(t), c)
				if err != nil && !errs.Is(err, errs.NotExist) {
					errc <- err
					return
				}
				if err == nil && !bytes.Equal(got, b) {
					errc <- errs.Errorf("Get", errs.Corrupt, "reader saw %d wrong bytes", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	wantUsage(t, s, 1, int64(len(b)))
}

// testConcurrentMany puts and deletes distinct blocks from many goroutines; the accounting
// must match what Enumerate then finds.
func testConcurrentMany(t *testing.T, h Harness) {
	s := h.New(t, 0)
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 12 {
				c, b := Block(t, uint64(g*100+i), 1000+i, cid.Raw)
				if err := s.Put(ctx(t), c, b); err != nil {
					errc <- err
					return
				}
				if i%2 == 1 {
					if err := s.Delete(ctx(t), c); err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var used int64
	got := list(t, s)
	for _, n := range got {
		used += n
	}
	if len(got) != 8*6 {
		t.Fatalf("Enumerate found %d blocks, want %d", len(got), 8*6)
	}
	wantUsage(t, s, int64(len(got)), used)
}
