package consensus

import (
	"context"
	"sync"

	"github.com/hashicorp/raft"
)

// LinearizableRead returns once the local FSM reflects every write that completed before the
// call began, so a read of the local FSM right after it is linearizable. On the leader it
// costs a heartbeat round; from a follower, a round trip to the leader and a barrier entry.
//
// The leader computes a read index. For its own readers (leaderReadIndex): its commit index,
// confirmed by VerifyLeader, a heartbeat round that fails on a deposed leader; the first read
// of a term first commits a Barrier, a log entry of the current term, without which the commit
// index could lag behind entries a previous leader committed. For a follower
// (barrierReadIndex): VerifyLeader and a Barrier, whose replication also tells the follower the
// commit index at once (it would otherwise learn it up to CommitTimeout later). Concurrent
// requests share rounds (see rounds). The caller then waits until its own FSM has applied that
// index. A partitioned node cannot obtain a read index, so it returns errs.Timeout or
// errs.Unavailable instead of stale data.
func (n *Node) LinearizableRead(ctx context.Context) error {
	idx, err := n.readRounds.join(ctx, n)
	if err != nil {
		return err
	}
	return n.fsm.waitApplied(ctx, idx, n.stopped)
}

// readIndex asks the leader (perhaps this node) for a read index.
func (n *Node) readIndex(ctx context.Context) (uint64, error) {
	resp, err := n.route(ctx, "consensus.LinearizableRead", &request{op: opReadIndex})
	if err != nil {
		return 0, err
	}
	return resp.index, nil
}

// rounds coalesces read-index requests, as etcd's linearizableReadLoop does: every request
// joins the first round that starts after it arrived, and one round serves them all. A node
// runs two: readRounds around the call to the leader, so a follower's concurrent readers
// share one round trip, and leaderRounds on the leader around VerifyLeader and Barrier, so
// concurrent reads share one heartbeat round and one log entry instead of a barrier each.
type rounds struct {
	run func(context.Context) (uint64, error) // one round

	mu      sync.Mutex
	running bool   // guarded by mu: a goroutine is running rounds
	next    *round // guarded by mu: the round that starts next, nil if nobody waits
}

type round struct {
	done  chan struct{} // closed when index and err are set
	index uint64
	err   error
}

// join waits for the result of the next round to start.
func (rr *rounds) join(ctx context.Context, n *Node) (uint64, error) {
	const op = "consensus.readIndex"
	rr.mu.Lock()
	if rr.next == nil {
		rr.next = &round{done: make(chan struct{})}
	}
	r := rr.next
	if !rr.running {
		if !n.goTracked(func() { rr.loop(n) }) {
			rr.mu.Unlock()
			return 0, errStopped(op)
		}
		rr.running = true
	}
	rr.mu.Unlock()
	select {
	case <-r.done:
		return r.index, r.err
	case <-ctx.Done():
		return 0, ctxErr(op, ctx.Err())
	case <-n.stopped:
		return 0, errStopped(op)
	}
}

// loop runs rounds while requests wait for one.
func (rr *rounds) loop(n *Node) {
	for {
		rr.mu.Lock()
		r := rr.next
		rr.next = nil
		if r == nil {
			rr.running = false
			rr.mu.Unlock()
			return
		}
		rr.mu.Unlock()
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RPCTimeout)
		r.index, r.err = rr.run(ctx)
		cancel()
		close(r.done)
	}
}

// leaderReadIndex proves leadership and returns a read index: an index every write that
// finished before the read began is at or below. It is Raft's read-index protocol (§6.4 of
// Ongaro's thesis, what etcd does): take the commit index, then confirm with a heartbeat round
// (VerifyLeader) that no other leader can have committed past it. The commit index is only
// trustworthy once the leader has committed an entry of its own term, so the first read of
// each term commits a Barrier and answers the applied index after it; later reads of the term
// cost a heartbeat round and no log write (no fsync).
func (n *Node) leaderReadIndex(ctx context.Context) (uint64, error) {
	const op = "consensus.readIndex"
	term := n.raft.CurrentTerm()
	index := n.raft.CommitIndex()
	if err := n.await(ctx, op, n.raft.VerifyLeader()); err != nil {
		return 0, err
	}
	if n.barrierTerm.Load() == term && n.raft.CurrentTerm() == term {
		if idx, ok := n.lastApplicable(index); ok {
			return idx, nil
		}
	}
	return n.barrier(ctx, term)
}

// barrierReadIndex is the read index for a follower: VerifyLeader, then a Barrier. Without
// the barrier the follower would learn the commit index only from the leader's next
// AppendEntries, up to CommitTimeout later (measured: a read right after a publish took
// 79 ms instead of 9); the barrier's own AppendEntries carries it at once.
func (n *Node) barrierReadIndex(ctx context.Context) (uint64, error) {
	const op = "consensus.readIndex"
	term := n.raft.CurrentTerm()
	if err := n.await(ctx, op, n.raft.VerifyLeader()); err != nil {
		return 0, err
	}
	return n.barrier(ctx, term)
}

// barrier commits a Barrier entry and returns the FSM-applied index after it; it records
// term as one in which this leader has committed an entry.
func (n *Node) barrier(ctx context.Context, term uint64) (uint64, error) {
	const op = "consensus.readIndex"
	timeout, err := enqueueTimeout(ctx, op)
	if err != nil {
		return 0, err
	}
	if err := n.await(ctx, op, n.raft.Barrier(timeout)); err != nil {
		return 0, err
	}
	if n.raft.CurrentTerm() == term {
		n.barrierTerm.Store(term)
	}
	return n.fsm.appliedIndex(), nil
}

// maxReadScan bounds the log entries lastApplicable looks at before it gives up.
const maxReadScan = 256

// lastApplicable turns a commit index into the index the FSM adapter's applied index will
// reach: the last entry at or below commit that raft hands to the FSM (a command or a
// configuration change; no-ops and barriers never reach it), or the applied index when there
// is none above it. ok is false when the log cannot tell (entries compacted, or too many to
// look at), and the caller falls back to a barrier.
func (n *Node) lastApplicable(commit uint64) (uint64, bool) {
	applied := n.fsm.appliedIndex()
	if commit <= applied {
		return applied, true
	}
	if commit-applied > maxReadScan {
		return 0, false
	}
	for i := commit; i > applied; i-- {
		var l raft.Log
		if err := n.store.GetLog(i, &l); err != nil {
			return 0, false
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return i, true
		}
	}
	return applied, true
}
