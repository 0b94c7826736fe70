package p2p

import (
	"context"
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"
	"golang.org/x/time/rate"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// listEnumerator lists cids; at index putAt it first calls onPut (a PUT arriving mid-sweep).
type listEnumerator struct {
	cids  []cid.Cid
	putAt int
	onPut func()
}

func (l listEnumerator) Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error {
	for i, c := range l.cids {
		if i == l.putAt {
			l.onPut()
		}
		if err := fn(c, 1); err != nil {
			return err
		}
	}
	return nil
}

// TestReprovideSweepLargerThanQueueDropsNothing: a sweep of a store ten times larger than
// the provider queue announces every block exactly once, and a PUT's CID enqueued during
// the sweep is announced too (a sweep that does not wait for room evicts both).
func TestReprovideSweepLargerThanQueueDropsNothing(t *testing.T) {
	rp := &recordingProvider{block: make(chan struct{})}
	p := NewProvider(rp, ProviderConfig{Queue: 8, Workers: 1, Rate: rate.Inf}, nil, nil)
	defer p.Close()
	put := fakestore.CID([]byte("put during the sweep"))
	var cids []cid.Cid
	for i := range 80 {
		cids = append(cids, fakestore.CID(fmt.Appendf(nil, "block %d", i)))
	}
	r := &reprovider{src: listEnumerator{cids: cids, putAt: 2, onPut: func() { p.Enqueue(put) }}, p: p}
	done := make(chan error, 1)
	go func() { _, err := r.sweep(testCtx(t)); done <- err }()
	// The worker is held: the sweep must stop at the queue's sweep limit instead of
	// evicting. (A sweep that does not wait finishes here, having dropped most blocks.)
	eventually(t, "the sweep fills its half of the queue, or finishes", func() bool {
		return p.Pending() >= p.sweepLimit() || len(done) > 0
	})
	close(rp.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	eventually(t, "every announcement", func() bool { return p.Completed() >= int64(len(cids)+1) || p.Pending() == 0 && p.Dropped() > 0 })
	eventually(t, "the queue drained", func() bool { return p.Pending() == 0 })
	if d := p.Dropped(); d != 0 {
		t.Fatalf("%d CIDs dropped from the queue during a sweep", d)
	}
	for _, c := range append(cids, put) {
		if n := rp.count(c); n != 1 {
			t.Fatalf("%v announced %d times in one sweep, want 1", c, n)
		}
	}
}

// TestEnqueueWaitStopsWithContext: a sweep waiting for room gives up when its context ends.
func TestEnqueueWaitStopsWithContext(t *testing.T) {
	rp := &recordingProvider{block: make(chan struct{})}
	defer close(rp.block)
	p := NewProvider(rp, ProviderConfig{Queue: 2, Workers: 1, Rate: rate.Inf}, nil, nil)
	defer p.Close()
	ctx, cancel := context.WithCancel(testCtx(t))
	p.Enqueue(fakestore.CID([]byte("held by the worker")))
	eventually(t, "the worker holds the first CID", func() bool { return p.Pending() == 0 })
	if !p.EnqueueWait(ctx, fakestore.CID([]byte("fills the sweep half"))) {
		t.Fatal("EnqueueWait refused with room in the queue")
	}
	cancel()
	if p.EnqueueWait(ctx, fakestore.CID([]byte("no room"))) {
		t.Fatal("EnqueueWait queued past the sweep limit")
	}
}
