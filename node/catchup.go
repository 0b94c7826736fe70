package node

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// A node that starts (or restarts from its data dir) holds the catalog as of its last
// snapshot and log, which may be far behind the federation: a token added or a scope
// narrowed while it was down is not in it yet. Until the replica has applied the index a
// linearizable read returns, the node answers requests that read catalog state with
// errs.Unavailable (HTTP 503), which the Go client takes as "try the next node", rather
// than Unauthenticated or a stale answer. The gate opens once and stays open: a later
// partition is handled by the fresh-read paths (checkFresh, resolve, LinearizableRead).

const (
	catchUpRoundTimeout = 5 * time.Second       // one linearizable read attempt
	catchUpRetryMin     = 50 * time.Millisecond // first pause after a failed attempt
	catchUpRetryMax     = 1 * time.Second       // longest pause between attempts
)

// catchUp is the gate; its zero value is closed.
type catchUp struct {
	open atomic.Bool
}

// errCatchingUp is what a gated request gets.
func errCatchingUp() error {
	return errs.Errorf("node.catchUp", errs.Unavailable,
		"this node is catching up with the federation; retry in a moment or use another node")
}

// catchingUp returns errCatchingUp until the replica has caught up, then nil: one atomic
// load per request.
func (n *Node) catchingUp() error {
	if n.catchUp.open.Load() {
		return nil
	}
	return errCatchingUp()
}

// CaughtUp reports whether the node has caught up with the federation since it started.
func (n *Node) CaughtUp() bool { return n.catchUp.open.Load() }

// startCatchUp starts the goroutine that opens the gate. It is owned by the node (Close
// waits for it) and stops when ctx ends or the gate is open.
func (n *Node) startCatchUp(ctx context.Context) {
	n.goFunc(func() { n.catchUpLoop(ctx) })
}

// catchUpLoop tries linearizable reads until one succeeds, pausing between attempts with
// a doubling backoff (a node that cannot reach a leader gets no read index).
func (n *Node) catchUpLoop(ctx context.Context) {
	start := n.now()
	pause := catchUpRetryMin
	for !n.catchUp.open.Load() {
		err := n.tryCatchUp(ctx)
		if err == nil {
			n.log.Info("caught up with the federation", "applied", n.raft.AppliedIndex(), "after", n.now().Sub(start))
			return
		}
		n.log.Debug("not caught up yet", "err", err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, catchUpRetryMax)
	}
}

// tryCatchUp opens the gate if a linearizable read succeeds within catchUpRoundTimeout:
// the read returns only once the local replica has applied the leader's read index.
func (n *Node) tryCatchUp(ctx context.Context) error {
	if n.catchUp.open.Load() {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, catchUpRoundTimeout)
	defer cancel()
	if err := n.raft.LinearizableRead(rctx); err != nil {
		return err
	}
	n.catchUp.open.Store(true)
	return nil
}
