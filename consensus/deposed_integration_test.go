//go:build integration

package consensus

import (
	"testing"
	"time"
)

// TestIntegrationIsolatedLeaderRefusesReads: a leader cut off from the other voters must not
// answer a linearizable read, even in a term in which it has already committed its barrier
// (so the read costs no log write): the heartbeat round (VerifyLeader) cannot reach a quorum.
// The read is started right after the cut, while the isolated node still believes it leads;
// answering it from its commit index alone would serve a read the other side may already
// have overtaken. Skipping VerifyLeader on the leader's read path fails this test.
func TestIntegrationIsolatedLeaderRefusesReads(t *testing.T) {
	c := newCluster(t, 3, 0, nil)
	ctx := c.ctx(30 * time.Second)
	li := c.leader(ctx)
	leader := c.nodes[li].node
	if err := leader.LinearizableRead(ctx); err != nil { // commits the term's barrier
		t.Fatal(err)
	}
	c.isolate(li)
	if !leader.IsLeader() {
		t.Skip("the leader stepped down before the read; nothing to check on this loaded machine")
	}
	rctx := c.ctx(5 * time.Second)
	if err := leader.LinearizableRead(rctx); err == nil {
		t.Fatal("an isolated leader answered a linearizable read: its read index was not confirmed by a quorum")
	}
}
