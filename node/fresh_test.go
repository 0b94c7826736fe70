package node

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time               { return c.t }
func (c *fakeClock) advance(d time.Duration)      { c.t = c.t.Add(d) }
func (c *fakeClock) at(d time.Duration) time.Time { return c.t.Add(d) }

func TestFreshnessRule(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	var f freshness
	if err := f.check(clk.now); err != nil {
		t.Fatalf("zero freshness (no bound) refused: %v", err)
	}
	const bound = 1500 * time.Millisecond
	f.init(bound, clk.now())
	if err := f.check(clk.now); !errs.Is(err, errs.NotCaughtUp) || !strings.Contains(err.Error(), "not yet caught up") {
		t.Fatalf("never confirmed: %v, want NotCaughtUp", err)
	}
	clk.advance(time.Second)
	began := clk.now()
	clk.advance(200 * time.Millisecond) // the probe took 200 ms: the bound runs from its start
	f.confirm(began)
	clk.t = began.Add(bound)
	if err := f.check(clk.now); err != nil {
		t.Fatalf("at exactly the bound after the probe began: %v", err)
	}
	clk.advance(time.Nanosecond)
	err := f.check(clk.now)
	if !errs.Is(err, errs.NotCaughtUp) || !strings.Contains(err.Error(), "1.5s ago") {
		t.Fatalf("just past the bound: %v, want NotCaughtUp saying 1.5s ago", err)
	}
	f.confirm(began.Add(-time.Second)) // a slow older probe finishing late changes nothing
	if err := f.check(clk.now); !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("an older confirmation made the node fresh again: %v", err)
	}
	f.confirm(clk.at(-time.Millisecond))
	if err := f.check(clk.now); err != nil {
		t.Fatalf("after a new confirmation: %v", err)
	}
}

// TestAuthenticateRefusesTokensWhenStale: once the bound has passed since the last
// confirmation, a valid token is refused with NotCaughtUp (503) instead of being checked
// against a replica that may not know of its revocation; anonymous requests are served.
func TestAuthenticateRefusesTokensWhenStale(t *testing.T) {
	f := newAnswersFixture(t)
	clk := &fakeClock{t: time.Unix(1000, 0)}
	f.n.now = clk.now
	f.n.catchUp.fresh.init(time.Second, clk.now())
	f.n.confirmFresh(clk.now())
	ctx := context.Background()
	if sub, err := f.n.Authenticate(ctx, fixtureToken); err != nil || sub.User != "pub" {
		t.Fatalf("fresh node, valid token: %+v, %v", sub, err)
	}
	clk.advance(time.Second + time.Millisecond)
	for _, tok := range []string{fixtureToken, "unknown"} {
		if _, err := f.n.Authenticate(ctx, tok); !errs.Is(err, errs.NotCaughtUp) {
			t.Errorf("stale node, token %q: %v, want NotCaughtUp", tok, err)
		}
	}
	if sub, err := f.n.Authenticate(ctx, ""); err != nil || !sub.Anonymous {
		t.Errorf("stale node, anonymous: %+v, %v; want served", sub, err)
	}
	f.n.confirmFresh(clk.now())
	if _, err := f.n.Authenticate(ctx, fixtureToken); err != nil {
		t.Errorf("fresh again, valid token: %v", err)
	}
}

// TestProbeCountsFromItsStart: a probe vouches for the state as of when it began, so a slow
// probe does not stretch the window: after a probe that took 1 s of the 1.5 s bound, the node
// is stale 0.5 s later, not 1.5 s later. A failed probe confirms nothing.
func TestProbeCountsFromItsStart(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	n := &Node{now: clk.now, log: discardLogger()}
	n.catchUp.fresh.init(1500*time.Millisecond, clk.now())
	n.catchUp.probe = func(context.Context) error { clk.advance(time.Second); return nil }
	if err := n.probe(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := n.stale(); err != nil || !n.CaughtUp() {
		t.Fatalf("right after a successful probe: %v (caught up %v)", err, n.CaughtUp())
	}
	clk.advance(500*time.Millisecond + time.Nanosecond)
	if err := n.stale(); !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("bound after the probe began: %v, want NotCaughtUp", err)
	}
	n.catchUp.probe = func(context.Context) error { return errs.Errorf("test", errs.Timeout, "no leader") }
	if err := n.probe(context.Background(), time.Second); err == nil {
		t.Fatal("a failing probe reported success")
	}
	if err := n.stale(); !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("a failed probe made the node fresh: %v", err)
	}
}

// TestFreshLoopRecoversAndStops: the owned probing goroutine turns the node fresh again soon
// after probes start succeeding, and returns when its context ends.
func TestFreshLoopRecoversAndStops(t *testing.T) {
	n := &Node{now: time.Now, log: discardLogger()}
	n.catchUp.fresh.init(400*time.Millisecond, time.Now())
	var fail atomic.Bool
	fail.Store(true)
	n.catchUp.probe = func(context.Context) error {
		if fail.Load() {
			return errs.Errorf("test", errs.Unavailable, "cut off")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.freshLoop(ctx) }()
	waitCond(t, 2*time.Second, "the first probes to fail", func() bool { return n.stale() != nil })
	fail.Store(false)
	waitCond(t, 2*time.Second, "the node to turn fresh", func() bool { return n.stale() == nil })
	fail.Store(true)
	waitCond(t, 2*time.Second, "the node to turn stale", func() bool { return n.stale() != nil })
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("freshLoop did not return after its context ended")
	}
}

func waitCond(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition under a deadline
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
