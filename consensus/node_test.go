package consensus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

func TestSingleNodeProposeRejectReadRestart(t *testing.T) {
	c := newCluster(t, 1, 0, nil)
	ctx := c.ctx(20 * time.Second)
	n, kv := c.running(0)

	prev, err := n.Propose(ctx, putCmd("a", "1"))
	if err != nil || string(prev) != "" {
		t.Fatalf("Propose = %q, %v", prev, err)
	}
	prev, err = n.Propose(ctx, casCmd("a", "1", "2"))
	if err != nil || string(prev) != "1" {
		t.Fatalf("cas = %q, %v", prev, err)
	}
	_, err = n.Propose(ctx, casCmd("a", "1", "3"))
	if !IsRejected(err) || !errs.Is(err, errs.Conflict) {
		t.Fatalf("stale cas: err = %v, want a Conflict rejection", err)
	}
	if err := n.LinearizableRead(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kv.get("a"); got != "2" {
		t.Fatalf("a = %q after read, want 2", got)
	}
	applied := n.AppliedIndex()
	for n.Stats().Awaiting != 0 { // every helper ends once raft resolves its future
		select {
		case <-ctx.Done():
			t.Fatalf("%d helpers still wait on raft futures", n.Stats().Awaiting)
		case <-time.After(5 * time.Millisecond):
		}
	}

	if err := n.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Propose(ctx, putCmd("b", "1")); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Propose after Shutdown: %v, want Unavailable", err)
	}
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	_ = c.nodes[0].host.Close()
	c.nodes[0].node = nil

	c.start(0, true) // Bootstrap is ignored: state exists
	n = c.nodes[0].node
	if _, err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.LinearizableRead(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.nodes[0].fsm.get("a"); got != "2" || n.AppliedIndex() < applied {
		t.Fatalf("after restart a = %q applied %d, want 2 and >= %d", got, n.AppliedIndex(), applied)
	}
}

func TestProposeHonoursContext(t *testing.T) {
	c := newCluster(t, 1, 0, nil)
	n := c.nodes[0].node
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := n.Propose(ctx, putCmd("a", "1"))
	if !errs.Is(err, errs.Timeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Propose with cancelled ctx: %v, want Timeout wrapping Canceled", err)
	}
	big := make([]byte, n.cfg.MaxCommandBytes+1)
	if _, err := n.Propose(context.Background(), big); !errs.Is(err, errs.Invalid) {
		t.Fatalf("oversized command: %v, want Invalid", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := newCluster(t, 1, 0, nil)
	good := DefaultConfig()
	good.Host, good.Dir, good.FSM = c.nodes[0].host, t.TempDir(), newKV()
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"no host":   func(c *Config) { c.Host = nil },
		"no dir":    func(c *Config) { c.Dir = "" },
		"no fsm":    func(c *Config) { c.FSM = nil },
		"lease":     func(c *Config) { c.LeaderLeaseTimeout = 2 * c.HeartbeatTimeout },
		"batch":     func(c *Config) { c.MaxAppendEntries = 5000 },
		"cmd bytes": func(c *Config) { c.MaxCommandBytes = maxFrameCap + 1 },
	} {
		bad := good
		mut(&bad)
		if err := bad.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: Validate = %v, want Invalid", name, err)
		}
	}
}
