package repair

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/store"
)

// blockingClock never wakes a sleeper by itself: only a Trigger or the end of ctx does.
type blockingClock struct{ now time.Time }

func (c blockingClock) Now() time.Time { return c.now }
func (c blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

type countingCatalog struct {
	Catalog
	passes atomic.Int64
}

func (c *countingCatalog) Nodes(ctx context.Context) ([]placement.Node, error) {
	c.passes.Add(1)
	return c.Catalog.Nodes(ctx)
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunPassesAtStartAndOnTrigger(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	f.publish("o", 64<<10)
	cat := &countingCatalog{Catalog: f.cat}
	r := f.repairer(f.nodes[0].ID, func(c *Config) { c.Catalog, c.Clock, c.KickDelay = cat, blockingClock{now: time.Unix(1, 0)}, 0 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	waitFor(t, "the first pass", func() bool { return !r.Status().Measured.IsZero() })
	r.Trigger()
	waitFor(t, "the triggered pass", func() bool { return cat.passes.Load() >= 2 })
	cancel()
	<-done
}

func TestScrubRemovesCorruptAndCounts(t *testing.T) {
	s := store.NewMemory(0)
	ctx := context.Background()
	var cids []cid.Cid
	for i := range 3 {
		data := []byte{byte(i), 1, 2, 3}
		c := cidOf(data)
		if err := s.Put(ctx, c, data); err != nil {
			t.Fatal(err)
		}
		cids = append(cids, c)
	}
	s.Corrupt(cids[1])
	clock := newFakeClock()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	removed := 0
	sc, err := NewScrubber(ScrubConfig{Store: s, Clock: clock, Metrics: m, Removed: func() { removed++ }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sc.Scrub(ctx)
	if err != nil || rep.Blocks != 3 || rep.Corrupt != 1 || rep.Removed != 1 || removed != 1 {
		t.Fatalf("scrub: %+v, %v, hook called %d times; want 3 blocks, 1 corrupt removed, hook once", rep, err, removed)
	}
	if ok, _ := s.Has(ctx, cids[1]); ok {
		t.Fatal("corrupt block still present after the scrub")
	}
	if got := counterValue(t, reg, "meridian_scrub_corrupt_total"); got != 1 {
		t.Fatalf("corrupt counter = %v, want 1", got)
	}
	if last, _ := sc.Last(); !last.Equal(clock.Now()) {
		t.Fatalf("last scrub %v, want %v", last, clock.Now())
	}
	clock.advance(time.Hour)
	if sc.Age() != time.Hour {
		t.Fatalf("scrub age %v, want 1h", sc.Age())
	}
}

func TestScrubRunOnTrigger(t *testing.T) {
	sc, err := NewScrubber(ScrubConfig{Store: store.NewMemory(0), Clock: blockingClock{now: time.Unix(5, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sc.Run(ctx) }()
	sc.Trigger()
	waitFor(t, "the triggered scrub", func() bool { last, _ := sc.Last(); return !last.IsZero() })
	cancel()
	<-done
}

// TestScrubThenRepair: bit rot on one holder is found by its scrub, deleted, and rebuilt by the
// stripe's repairer.
func TestScrubThenRepair(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 64<<10)
	c := m.Stripes[0].Shards[1]
	h := f.net.holders(c)[0]
	s := store.NewMemory(0)
	ctx := context.Background()
	for bc, b := range f.net.snapshot()[h] {
		if err := s.Put(ctx, bc, []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	s.Corrupt(c)
	sc, _ := NewScrubber(ScrubConfig{Store: s})
	if rep, err := sc.Scrub(ctx); err != nil || rep.Removed != 1 {
		t.Fatalf("scrub: %+v, %v", rep, err)
	}
	f.net.mu.Lock()
	f.net.blocks[h] = map[cid.Cid][]byte{}
	f.net.mu.Unlock()
	_ = s.Enumerate(ctx, func(bc cid.Cid, _ int64) error {
		b, err := s.Get(ctx, bc)
		f.net.mu.Lock()
		f.net.set(h, bc, b)
		f.net.mu.Unlock()
		return err
	})
	if rep := f.passAll(); rep.Rebuilt != 1 || rep.Full != 1 {
		t.Fatalf("repair after scrub: %+v; want the removed shard rebuilt", rep)
	}
	f.readBack()
}

// counterValue reads a registered counter without labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}
