package consensus

import (
	"testing"
	"time"
)

// TestReadIndexBarrierOncePerTerm checks the read-index protocol's cost and its guarantee on
// three real voters: the leader's own reads add nothing to the log once it has committed an
// entry of its term (followers' reads still commit a barrier, which tells them the commit
// index at once), and a read on any node sees a write that finished before it began.
func TestReadIndexBarrierOncePerTerm(t *testing.T) {
	c := newCluster(t, 3, 0, nil)
	ctx := c.ctx(30 * time.Second)
	var leader, follower *Node
	for _, n := range c.nodes {
		if n.node.IsLeader() {
			leader = n.node
		} else if follower == nil {
			follower = n.node
		}
	}
	if leader == nil {
		t.Skip("leadership moved during setup on a loaded machine; nothing to check")
	}
	if err := follower.LinearizableRead(ctx); err != nil {
		t.Fatal(err)
	}
	term, last := leader.raft.CurrentTerm(), leader.raft.LastIndex()
	for range 20 {
		if err := leader.LinearizableRead(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if leader.raft.CurrentTerm() == term && leader.raft.LastIndex() != last {
		t.Fatalf("20 leader reads in one term grew the log from index %d to %d: each read wrote a barrier", last, leader.raft.LastIndex())
	}
	for i := range 5 {
		v := string(rune('a' + i))
		if _, err := leader.Propose(ctx, putCmd("k", v)); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.nodes {
			if err := n.node.LinearizableRead(ctx); err != nil {
				t.Fatal(err)
			}
			if got := n.fsm.get("k"); got != v {
				t.Fatalf("after put k=%s finished, a linearizable read on %s sees %q", v, n.id, got)
			}
		}
	}
}
