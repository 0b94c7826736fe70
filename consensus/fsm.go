package consensus

import (
	"context"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// FSM is the replicated state machine. Raft calls Apply, Snapshot and Restore from one
// goroutine, in log order; local reads by the application happen concurrently, so the FSM
// guards its own state for readers.
type FSM interface {
	// Apply applies the committed command at log index. It must be a deterministic function
	// of the state, the command and the index: no clocks, randomness or I/O. A non-nil error
	// rejects the command; the state must then be unchanged. The error's text (and its
	// errs.Kind, when it has one) reaches the proposer. Apply must not panic.
	Apply(index uint64, cmd []byte) ([]byte, error)
	// Snapshot writes the whole state to w.
	Snapshot(w io.Writer) error
	// Restore replaces the whole state with one written by Snapshot.
	Restore(r io.Reader) error
}

// applyResult is what the adapter hands back through raft's ApplyFuture.
type applyResult struct {
	value []byte
	err   error // the FSM's rejection, nil if accepted
}

// fsmAdapter turns an FSM into a raft.BatchingFSM and tracks the index of the last entry the
// FSM has seen (commands and configuration changes), which the read-index path waits on.
type fsmAdapter struct {
	fsm      FSM
	spoolDir string // where snapshots are spooled before raft persists them

	mu       sync.Mutex
	applied  uint64        // guarded by mu
	advanced chan struct{} // guarded by mu; closed and replaced when applied changes
}

func newFSMAdapter(fsm FSM, spoolDir string) *fsmAdapter {
	return &fsmAdapter{fsm: fsm, spoolDir: spoolDir, advanced: make(chan struct{})}
}

// Apply implements raft.FSM.
func (a *fsmAdapter) Apply(l *raft.Log) any { return a.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch implements raft.BatchingFSM: raft hands over up to MaxAppendEntries committed
// entries at once, which keeps the FSM goroutine from becoming the bottleneck.
func (a *fsmAdapter) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			continue // configuration entries only advance the applied index
		}
		v, err := a.fsm.Apply(l.Index, l.Data)
		out[i] = applyResult{value: v, err: err}
	}
	if len(logs) > 0 {
		a.setApplied(logs[len(logs)-1].Index)
	}
	return out
}

func (a *fsmAdapter) setApplied(idx uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.applied = idx
	close(a.advanced)
	a.advanced = make(chan struct{})
}

// appliedIndex returns the index of the last entry the FSM has applied.
func (a *fsmAdapter) appliedIndex() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applied
}

// waitApplied blocks until the FSM has applied idx, ctx is done or stopped is closed.
func (a *fsmAdapter) waitApplied(ctx context.Context, idx uint64, stopped <-chan struct{}) error {
	const op = "consensus.waitApplied"
	for {
		a.mu.Lock()
		done, ch := a.applied >= idx, a.advanced
		a.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctxErr(op, ctx.Err())
		case <-stopped:
			return errStopped(op)
		}
	}
}
