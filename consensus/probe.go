package consensus

import (
	"context"

	"github.com/meridian-fed/meridian/errs"
)

// CatchUp returns once the local FSM reflects every write committed before the call began,
// like LinearizableRead, but a follower's request writes no log entry: the leader answers
// its read index after a heartbeat round (VerifyLeader; a Barrier only on the first read of
// its term), and the follower learns the commit index from the leader's next AppendEntries,
// up to CommitTimeout later. It is meant for periodic freshness probes, which would
// otherwise add a log entry per probe and follower. Concurrent calls share one round trip.
//
// It fails (errs.Timeout or errs.Unavailable) when this node cannot reach a leader, when the
// leader cannot prove its leadership to a quorum, and when the local log or FSM does not
// reach the leader's index before ctx ends (a full disk: heartbeats arrive, appends fail).
func (n *Node) CatchUp(ctx context.Context) error {
	idx, err := n.probeRounds.join(ctx, n)
	if err != nil {
		return err
	}
	return n.fsm.waitApplied(ctx, idx, n.stopped)
}

// probeIndex asks the leader (perhaps this node) for a read index without a barrier. A
// leader of an older version refuses the op as Invalid; the probe then takes the
// LinearizableRead path (with its barrier), so a rolling upgrade keeps followers fresh.
func (n *Node) probeIndex(ctx context.Context) (uint64, error) {
	resp, err := n.route(ctx, "consensus.CatchUp", &request{op: opProbeIndex})
	if errs.Is(err, errs.Invalid) {
		return n.readIndex(ctx)
	}
	if err != nil {
		return 0, err
	}
	return resp.index, nil
}
