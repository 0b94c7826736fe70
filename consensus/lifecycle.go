package consensus

import (
	"context"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/meridian-fed/meridian/errs"
)

func (n *Node) raftConfig(hl hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = serverID(n.self)
	rc.Logger = hl
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	rc.CommitTimeout = n.cfg.CommitTimeout
	rc.MaxAppendEntries = n.cfg.MaxAppendEntries
	rc.BatchApplyCh = true // proposals queue up to MaxAppendEntries deep: group commit
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.TrailingLogs = n.cfg.TrailingLogs
	rc.NoLegacyTelemetry = true
	return rc
}

// Shutdown stops the node. A leader first hands leadership to an up-to-date voter (bounded
// by ctx) so the cluster does not wait an election timeout; then raft stops, pending calls
// return errs.Unavailable, and the stores close. Calling it again returns the first result.
func (n *Node) Shutdown(ctx context.Context) error {
	n.stopOnce.Do(func() {
		if n.IsLeader() && n.otherVoters() > 0 {
			if err := n.await(ctx, "consensus.Shutdown", n.raft.LeadershipTransfer()); err != nil {
				n.log.Warn("leadership transfer before shutdown failed; followers will elect after a timeout", "err", err)
			}
		}
		n.stopErr = n.stop()
	})
	return n.stopErr
}

// stop shuts down without a leadership transfer (a crash, as far as the others can tell).
func (n *Node) stop() error {
	n.host.RemoveStreamHandler(ProposeProtocol)
	n.mu.Lock()
	n.closing = true
	n.mu.Unlock()
	close(n.stopped)
	n.cancel()
	n.raft.DeregisterObserver(n.observer)
	err := n.raft.Shutdown().Error()
	n.wg.Wait() // the observer, the batcher and its senders, forward handlers
	n.closeStores()
	if err != nil {
		return errs.E("consensus.Shutdown", errs.Internal, err)
	}
	return nil
}

// otherVoters counts voters other than this node in the latest configuration.
func (n *Node) otherVoters() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	c := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter && s.ID != serverID(n.self) {
			c++
		}
	}
	return c
}

// await waits for a raft future under ctx, with a helper goroutine blocked in f.Error().
//
// The helper ends when raft resolves the future, which raft does for every future it has
// taken from its queues, at shutdown at the latest. A future still sitting in raft's apply
// queue when raft shuts down is never resolved (hashicorp/raft v1.7.3 does not drain applyCh),
// so its helper stays blocked: at most the queue's capacity (MaxAppendEntries) of them, once,
// when the node stops. That is why the helpers are not in the WaitGroup Shutdown waits for;
// they are counted in n.awaiting instead.
func (n *Node) await(ctx context.Context, op string, f raft.Future) error {
	select {
	case <-n.stopped:
		return errStopped(op)
	default:
	}
	done := make(chan error, 1)
	n.awaiting.Add(1)
	go func() {
		defer n.awaiting.Add(-1)
		done <- f.Error()
	}()
	select {
	case err := <-done:
		return fromRaft(op, err)
	case <-ctx.Done():
		return unknownOutcome(op, ctx.Err())
	case <-n.stopped:
		return errStopped(op)
	}
}

// startObserver bumps leaderSeen on every leader change raft observes.
func (n *Node) startObserver() {
	ch := make(chan raft.Observation, 16)
	n.observer = raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(n.observer)
	n.goTracked(func() {
		for {
			select {
			case <-ch:
				n.leaderSeen.bump()
			case <-n.ctx.Done():
				return
			}
		}
	})
}

// notifier lets goroutines wait for "something changed" without polling.
type notifier struct {
	mu sync.Mutex
	ch chan struct{} // guarded by mu; closed and replaced by bump
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

// wait returns a channel closed at the next bump.
func (w *notifier) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *notifier) bump() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}
