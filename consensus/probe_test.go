package consensus

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestCatchUpWritesNoLogAndSeesWrites: on three real voters, followers' CatchUp calls add no
// log entry once the leader has committed one of its term, and after a write has finished,
// CatchUp on any node returns only once that node has applied it.
func TestCatchUpWritesNoLogAndSeesWrites(t *testing.T) {
	c := newCluster(t, 3, 0, nil)
	ctx := c.ctx(30 * time.Second)
	leader, followers := splitLeader(c)
	if leader == nil {
		t.Skip("leadership moved during setup on a loaded machine; nothing to check")
	}
	if err := leader.LinearizableRead(ctx); err != nil { // the leader's barrier of its term
		t.Fatal(err)
	}
	term, last := leader.raft.CurrentTerm(), leader.raft.LastIndex()
	for range 10 {
		for _, f := range followers {
			if err := f.node.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if leader.raft.CurrentTerm() == term && leader.raft.LastIndex() != last {
		t.Fatalf("20 follower probes in one term grew the log from index %d to %d", last, leader.raft.LastIndex())
	}
	for i := range 3 {
		v := string(rune('a' + i))
		if _, err := leader.Propose(ctx, putCmd("k", v)); err != nil {
			t.Fatal(err)
		}
		for _, f := range followers {
			if err := f.node.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.fsm.get("k"); got != v {
				t.Fatalf("after put k=%s finished, CatchUp on %s returned with %q applied", v, f.id, got)
			}
		}
	}
}

// TestCatchUpFailsWhileTheLogCannotAppend: a follower whose log writes fail (a full disk)
// still hears the leader, but CatchUp fails once the leader has committed something it
// cannot append; after writes work again it succeeds and sees the write.
func TestCatchUpFailsWhileTheLogCannotAppend(t *testing.T) {
	c := newCluster(t, 3, 0, nil)
	ctx := c.ctx(30 * time.Second)
	leader, followers := splitLeader(c)
	if leader == nil {
		t.Skip("leadership moved during setup on a loaded machine; nothing to check")
	}
	full := followers[0]
	full.node.FailLogWrites(&os.PathError{Op: "write", Path: "raft.db", Err: syscall.ENOSPC})
	if _, err := leader.Propose(ctx, putCmd("k", "v")); err != nil {
		t.Fatal(err) // the other follower makes the quorum
	}
	short := c.ctx(time.Second)
	if err := full.node.CatchUp(short); err == nil {
		t.Fatalf("CatchUp succeeded on a follower that cannot append (k=%q applied)", full.fsm.get("k"))
	}
	if full.node.Leader() == "" {
		t.Fatal("the follower with failing writes lost its leader; the test wants it to keep hearing heartbeats")
	}
	full.node.FailLogWrites(nil)
	if err := full.node.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := full.fsm.get("k"); got != "v" {
		t.Fatalf("after writes work again, CatchUp returned with k=%q", got)
	}
}

// splitLeader returns the leader (nil if none is known) and the other nodes.
func splitLeader(c *testCluster) (*Node, []*testNode) {
	var leader *Node
	var rest []*testNode
	for _, n := range c.nodes {
		if n.node.IsLeader() && leader == nil {
			leader = n.node
		} else {
			rest = append(rest, n)
		}
	}
	return leader, rest
}
