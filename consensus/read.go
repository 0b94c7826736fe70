package consensus

import (
	"context"
)

// LinearizableRead returns once the local FSM reflects every write that completed before the
// call began, so a read of the local FSM right after it is linearizable. It costs one round
// trip to the leader (from a follower) plus one log entry on the leader.
//
// The leader computes a read index: VerifyLeader (a heartbeat round that fails fast on a
// deposed leader), then Barrier, a log entry of the current term that can only commit while
// this node leads a majority and whose application means every earlier entry is applied.
// The read index is the leader's FSM-applied index after the barrier. The caller then waits
// until its own FSM has applied that index. A partitioned node cannot obtain a read index,
// so it returns errs.Timeout or errs.Unavailable instead of stale data.
func (n *Node) LinearizableRead(ctx context.Context) error {
	const op = "consensus.LinearizableRead"
	resp, err := n.route(ctx, op, &request{op: opReadIndex})
	if err != nil {
		return err
	}
	return n.fsm.waitApplied(ctx, resp.index, n.stopped)
}

// readIndexLocal computes a read index on the leader (see LinearizableRead).
func (n *Node) readIndexLocal(ctx context.Context) (uint64, error) {
	const op = "consensus.readIndex"
	if err := n.await(ctx, op, n.raft.VerifyLeader()); err != nil {
		return 0, err
	}
	timeout, err := enqueueTimeout(ctx, op)
	if err != nil {
		return 0, err
	}
	if err := n.await(ctx, op, n.raft.Barrier(timeout)); err != nil {
		return 0, err
	}
	return n.fsm.appliedIndex(), nil
}
