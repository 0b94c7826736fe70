package repair

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// hookNet is a fakeNet that calls before (outside the fake's lock) ahead of every Get.
type hookNet struct {
	*fakeNet
	before func(ctx context.Context, node string, c cid.Cid) error
}

func (h *hookNet) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	if err := h.before(ctx, node, c); err != nil {
		return nil, err
	}
	return h.fakeNet.Get(ctx, node, c)
}

// lossFed publishes size bytes in 64 KiB stripes over seven nodes and wipes node 1 (a live
// holder that lost its disk: its shards are rebuilt at once). It returns the shards lost.
func lossFed(t *testing.T, size int) (*fed, int) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o", size)
	lost := f.net.count(f.nodes[1].ID) - f.manifests(f.nodes[1].ID)
	f.net.wipe(f.nodes[1].ID)
	if lost == 0 {
		t.Fatal("test setup: node 1 held no shard")
	}
	return f, lost
}

// passEvery runs one pass on every node with the given Shards, workers and rate, on the
// (bubble's) system clock, and sums the reports.
func (f *fed) passEvery(ctx context.Context, sh Shards, workers int, rate int64) (Report, error) {
	var sum Report
	for _, n := range f.nodes {
		r := f.repairer(n.ID, func(c *Config) { c.Shards, c.Workers, c.BytesPerSecond, c.Clock = sh, workers, rate, SystemClock{} })
		if f.onRepairer != nil {
			f.onRepairer(r)
		}
		rep, err := r.Pass(ctx)
		if a := r.Activity(); a.Rebuilding != 0 {
			f.t.Fatalf("%d rebuilds still under way after Pass returned", a.Rebuilding)
		}
		if err != nil {
			return sum, err
		}
		sum.add(&rep)
	}
	return sum, nil
}

func raise(most *atomic.Int64, n int64) {
	for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
	}
}

func TestPassKeepsAtMostWorkersStripesInFlight(t *testing.T) {
	f, lost := lossFed(t, 4<<20) // outside the bubble: the codec's shared zstd state is not bubble-bound
	synctest.Test(t, func(t *testing.T) {
		f.t = t
		const workers = 3
		var cur atomic.Pointer[Repairer]
		var most atomic.Int64
		net := &hookNet{fakeNet: f.net, before: func(context.Context, string, cid.Cid) error {
			raise(&most, int64(cur.Load().Activity().Rebuilding))
			time.Sleep(time.Millisecond) // fake time: every free worker gets to start its stripe
			return nil
		}}
		f.onRepairer = func(r *Repairer) { cur.Store(r) }
		rep, err := f.passEvery(context.Background(), net, workers, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rebuilt != lost || rep.Failed != 0 {
			t.Fatalf("rebuilt %d of %d lost shards, %d failed", rep.Rebuilt, lost, rep.Failed)
		}
		if most.Load() != workers {
			t.Fatalf("at most %d stripes were rebuilt at once, want exactly Workers=%d", most.Load(), workers)
		}
	})
	f.t = t
	f.readBack()
}

func TestCancelledPassStopsEveryWorkerAndLeavesStoresSound(t *testing.T) {
	f, _ := lossFed(t, 4<<20) // outside the bubble: the codec's shared zstd state is not bubble-bound
	synctest.Test(t, func(t *testing.T) {
		f.t = t
		before := f.net.snapshot()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var gets atomic.Int64
		net := &hookNet{fakeNet: f.net, before: func(ctx context.Context, _ string, _ cid.Cid) error {
			if gets.Add(1) == 20 {
				cancel() // mid-pass, with stripes in every phase
			}
			time.Sleep(time.Millisecond)
			return ctx.Err()
		}}
		_, err := f.passEvery(ctx, net, 4, 0) // passEvery fails if a rebuild is under way after Pass returns
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("pass after cancel: %v, want context.Canceled", err)
		}
		after := f.net.snapshot()
		for node, blocks := range before {
			for c := range blocks {
				if _, ok := after[node][c]; !ok {
					t.Fatalf("a cancelled pass deleted a block from %s", node)
				}
			}
		}
		for node, blocks := range after {
			for c, b := range blocks {
				if store.Verify(c, []byte(b)) != nil {
					t.Fatalf("a cancelled pass left a bad block on %s", node)
				}
			}
		}
	})
}

func TestOneFailingStripeDoesNotStopTheOthers(t *testing.T) {
	f, lost := lossFed(t, 2<<20) // outside the bubble: the codec's shared zstd state is not bubble-bound
	synctest.Test(t, func(t *testing.T) {
		f.t = t
		// The first stripe that lost a shard: every fetch of its shards fails.
		var bad []cid.Cid
		f.eachStripe(func(st *chunker.Stripe) {
			if bad == nil && slices.ContainsFunc(st.Shards, func(c cid.Cid) bool { return len(f.net.holders(c)) == 0 }) {
				bad = st.Shards
			}
		})
		net := &hookNet{fakeNet: f.net, before: func(_ context.Context, node string, c cid.Cid) error {
			if slices.Contains(bad, c) {
				return errs.Errorf("test", errs.Unavailable, "holder %s does not answer", node)
			}
			return nil
		}}
		rep, err := f.passEvery(context.Background(), net, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed != 1 || rep.Rebuilt != lost-1 {
			t.Fatalf("failed %d, rebuilt %d of %d; want the one stripe failed and every other lost shard rebuilt", rep.Failed, rep.Rebuilt, lost)
		}
		missing := 0
		for _, c := range bad {
			if len(f.net.holders(c)) == 0 {
				missing++
			}
		}
		if missing != 1 {
			t.Fatalf("the failing stripe has %d shards nobody holds, want it left as it was (1)", missing)
		}
	})
}

func TestRateLimitHoldsWithManyWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 256 << 10 // burst one second's worth
		f, _ := lossFed(t, 2<<20)
		var start time.Time
		var total, all int64
		var worst float64
		f.net.trace = func(_ string, n int) { // under the fake's lock
			total += int64(n)
			all += int64(n)
			budget := float64(rate) + float64(rate)*time.Since(start).Seconds()
			worst = max(worst, float64(total)/budget)
		}
		begin := time.Now()
		f.onRepairer = func(*Repairer) { // a bucket per node: measure each pass from a full bucket
			f.net.mu.Lock()
			start, total = time.Now(), 0
			f.net.mu.Unlock()
		}
		rep, err := f.passEvery(context.Background(), f.net, 8, rate)
		if err != nil || rep.Rebuilt == 0 {
			t.Fatalf("rebuilt %d: %v", rep.Rebuilt, err)
		}
		elapsed := time.Since(begin).Seconds()
		if worst > 1.0001 {
			t.Fatalf("traffic ran %.3f× ahead of a %d B/s bucket with 8 workers", worst, rate)
		}
		if avg := float64(all) / elapsed; elapsed == 0 || avg < rate/2 {
			t.Fatalf("average %.0f B/s over %.1fs, far below the %d B/s allowed", avg, elapsed, rate)
		}
	})
}

// lyingNet claims its Gets are verified but flips a byte of every shard in rot, and stores
// what it is given without a check (as node does for blocks repair hands its own store).
type lyingNet struct {
	*fakeNet
	rot []cid.Cid
}

func (l *lyingNet) VerifiesGets() bool { return true }

func (l *lyingNet) Put(_ context.Context, node string, c cid.Cid, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set(node, c, bytes.Clone(data))
	return nil
}

func (l *lyingNet) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	b, err := l.fakeNet.Get(ctx, node, c)
	if err == nil && slices.Contains(l.rot, c) {
		b[0] ^= 0xff
	}
	return b, err
}

// With VerifyingShards repair does not re-hash what Get returns, but the rebuilt output is
// still checked against its CID: a Get that lies makes the stripe fail, never stores garbage.
func TestRebuiltOutputIsCheckedEvenWhenGetsClaimToVerify(t *testing.T) {
	f, lost := lossFed(t, 1<<20)
	var rot []cid.Cid // every surviving shard of the first stripe that lost one
	f.eachStripe(func(st *chunker.Stripe) {
		if rot == nil && slices.ContainsFunc(st.Shards, func(c cid.Cid) bool { return len(f.net.holders(c)) == 0 }) {
			for _, c := range st.Shards {
				if len(f.net.holders(c)) > 0 {
					rot = append(rot, c)
				}
			}
		}
	})
	rep, err := f.passEvery(context.Background(), &lyingNet{fakeNet: f.net, rot: rot}, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Rebuilt != lost-1 {
		t.Fatalf("failed %d, rebuilt %d of %d; want the stripe read through lying Gets failed and the rest rebuilt", rep.Failed, rep.Rebuilt, lost)
	}
	for node, blocks := range f.net.snapshot() {
		for c, b := range blocks {
			if store.Verify(c, []byte(b)) != nil {
				t.Fatalf("a block that does not match its CID was stored on %s", node)
			}
		}
	}
}
