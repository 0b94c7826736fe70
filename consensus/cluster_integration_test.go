//go:build integration

package consensus

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

func TestIntegrationForwardingNonvoterAndFailover(t *testing.T) {
	c := newCluster(t, 3, 1, nil)
	ctx := c.ctx(60 * time.Second)
	l := c.leader(ctx)
	f := (l + 1) % 3
	nv := 3

	if _, err := c.nodes[f].node.Propose(ctx, putCmd("k", "from-follower")); err != nil {
		t.Fatalf("forwarded propose: %v", err)
	}
	prev, err := c.nodes[nv].node.Propose(ctx, putCmd("k", "from-nonvoter"))
	if err != nil || string(prev) != "from-follower" {
		t.Fatalf("propose via non-voter = %q, %v", prev, err)
	}
	if _, err := c.nodes[f].node.Propose(ctx, casCmd("k", "nope", "x")); !IsRejected(err) || !errs.Is(err, errs.Conflict) {
		t.Fatalf("forwarded rejection: %v, want a Conflict rejection", err)
	}
	if err := c.nodes[nv].node.LinearizableRead(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.nodes[nv].fsm.get("k"); got != "from-nonvoter" {
		t.Fatalf("non-voter local read after LinearizableRead = %q", got)
	}

	start := time.Now()
	c.kill(l)
	nl := c.leader(ctx)
	t.Logf("new leader %d elected %v after the leader was killed", nl, time.Since(start))
	for i := range 20 {
		c.put(ctx, c.alive()[i%len(c.alive())], "k", fmt.Sprint(i))
	}
	c.restart(ctx, l)
	c.waitApplied(ctx, l, c.nodes[nl].node.AppliedIndex())
	if got := c.nodes[l].fsm.get("k"); got != "19" {
		t.Fatalf("restarted old leader has k = %q, want 19", got)
	}

	// A membership change issued at a follower is forwarded too.
	via := (nl + 1) % 3
	if err := c.nodes[via].node.RemoveServer(ctx, c.nodes[nv].id); err != nil {
		t.Fatalf("forwarded RemoveServer: %v", err)
	}
	ms, err := c.nodes[nl].node.Members(ctx)
	if err != nil || len(ms) != 3 {
		t.Fatalf("members after removal = %v, %v", ms, err)
	}
}

func TestIntegrationMinorityCannotCommit(t *testing.T) {
	c := newCluster(t, 5, 0, nil)
	ctx := c.ctx(60 * time.Second)
	l := c.leader(ctx)
	if _, err := c.nodes[l].node.Propose(ctx, putCmd("k", "before")); err != nil {
		t.Fatal(err)
	}
	buddy := (l + 1) % 5
	for _, i := range []int{l, buddy} {
		c.waitApplied(ctx, i, c.nodes[l].node.AppliedIndex())
	}
	c.isolate(l, buddy)

	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := c.nodes[l].node.Propose(short, putCmd("k", "minority"))
	if err == nil {
		t.Fatal("the isolated old leader committed a write")
	}
	t.Logf("minority write: %v", err)

	var majority int
	for i := range 5 {
		if i != l && i != buddy {
			majority = i
			break
		}
	}
	c.put(ctx, majority, "k", "majority")
	short2, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if err := c.nodes[buddy].node.LinearizableRead(short2); err == nil {
		t.Fatal("LinearizableRead succeeded on the minority side")
	}
	if got := c.nodes[buddy].fsm.get("k"); got != "before" {
		t.Fatalf("minority local state = %q, want the stale value", got)
	}

	c.heal(ctx)
	if err := c.nodes[buddy].node.LinearizableRead(ctx); err != nil {
		t.Fatalf("read after heal: %v", err)
	}
	if got := c.nodes[buddy].fsm.get("k"); got != "majority" {
		t.Fatalf("after heal k = %q, want majority (the minority write must be discarded)", got)
	}
}

func TestIntegrationRestartCatchesUpBySnapshot(t *testing.T) {
	c := newCluster(t, 3, 0, func(cfg *Config) {
		cfg.SnapshotThreshold = 16
		cfg.TrailingLogs = 8
		cfg.SnapshotInterval = 50 * time.Millisecond
	})
	ctx := c.ctx(60 * time.Second)
	l := c.leader(ctx)
	down := (l + 1) % 3
	c.kill(down)
	for i := range 200 {
		c.put(ctx, l, fmt.Sprint("k", i%17), fmt.Sprint(i))
	}
	if err := c.nodes[l].node.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	c.restart(ctx, down)
	c.waitApplied(ctx, down, c.nodes[l].node.AppliedIndex())
	if want, got := c.nodes[l].fsm.snapshotMap(), c.nodes[down].fsm.snapshotMap(); !maps.Equal(want, got) {
		t.Fatalf("restarted node state %v, leader %v", got, want)
	}
	if c.nodes[down].fsm.restoreCount() == 0 {
		t.Fatal("the restarted node caught up without installing a snapshot; lower TrailingLogs")
	}
}

func TestIntegrationGracefulLeaderShutdownTransfers(t *testing.T) {
	c := newCluster(t, 3, 0, nil)
	ctx := c.ctx(60 * time.Second)
	l := c.leader(ctx)
	c.put(ctx, l, "k", "1")
	term := c.nodes[l].node.Stats().Term
	if err := c.nodes[l].node.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	_ = c.nodes[l].host.Close()
	c.mu.Lock()
	c.nodes[l].node, c.nodes[l].host = nil, nil
	c.mu.Unlock()
	nl := c.leader(ctx)
	if got := c.nodes[nl].node.Stats().Term; got <= term {
		t.Fatalf("new leader's term %d, want > %d", got, term)
	}
	c.put(ctx, nl, "k", "2")
	if err := c.nodes[nl].node.LinearizableRead(ctx); err != nil || c.nodes[nl].fsm.get("k") != "2" {
		t.Fatalf("after graceful shutdown: k = %q, %v", c.nodes[nl].fsm.get("k"), err)
	}
}
