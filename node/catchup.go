package node

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/consensus"
	"github.com/meridian-fed/meridian/errs"
)

// A node answers from its local replica, which can be behind the federation: after a start
// (it holds the catalog as of its last snapshot and log), while it is cut off from the
// leader, while its disk is full (heartbeats arrive, appends fail), or when it leads but has
// lost its quorum. A token revoked or a grant narrowed elsewhere is then unknown to it.
//
// A goroutine owned by the node probes, all the time, whether the replica is current
// (consensus CatchUp: the leader's read index, applied here) and records when the latest
// successful probe began (fresh.go). Two gates use it:
//
//   - Until the first probe has succeeded, every request, anonymous ones included, gets
//     NotCaughtUp (503): a stale replica would call a new token unknown or grant what was
//     revoked. This gate opens once and stays open.
//   - Authenticated requests and readiness additionally need a probe begun within the bound
//     (fresh_bound, default freshHeartbeats Raft heartbeat timeouts); otherwise they get
//     NotCaughtUp (503), which the Go client takes as "try the next node". Anonymous
//     requests keep being served: they can only read public catalogs, and a cut-off node
//     serving the public data it holds is what a federation of persistent identifiers is
//     for (docs/node.md says what this leaves open).

const (
	freshHeartbeats     = 3                     // default bound, in Raft heartbeat timeouts
	freshProbesPerBound = 4                     // probes started per bound while all is well
	catchUpRoundTimeout = 5 * time.Second       // the one probe of init and join
	catchUpRetryMin     = 50 * time.Millisecond // first pause after a failed probe
)

// catchUp is the state of both gates; its zero value is closed, with freshness unchecked.
type catchUp struct {
	open  atomic.Bool // set by the first successful probe, never cleared
	fresh freshness
	probe func(context.Context) error // nil: the Raft node's CatchUp; unit tests replace it
}

// errCatchingUp is what a request gets before the first successful probe.
func errCatchingUp() error {
	return errs.Errorf("node.catchUp", errs.NotCaughtUp,
		"this node is catching up with the federation; retry in a moment or use another node")
}

// catchingUp returns errCatchingUp until the replica has caught up once, then nil: one
// atomic load per request.
func (n *Node) catchingUp() error {
	if n.catchUp.open.Load() {
		return nil
	}
	return errCatchingUp()
}

// stale returns NotCaughtUp when no probe begun within the bound has succeeded: two atomic
// loads and a clock read per request.
func (n *Node) stale() error { return n.catchUp.fresh.check(n.now) }

// CaughtUp reports whether the node has caught up with the federation since it started.
func (n *Node) CaughtUp() bool { return n.catchUp.open.Load() }

// FreshBound is how long after losing touch with the leader this node keeps answering
// authenticated requests: the longest a revocation made elsewhere can take to hold here.
func (n *Node) FreshBound() time.Duration { return n.catchUp.fresh.bound }

// freshBound is the configured bound, or freshHeartbeats heartbeat timeouts of the Raft
// configuration the node runs with.
func (n *Node) freshBound() time.Duration {
	if n.cfg.FreshBound > 0 {
		return n.cfg.FreshBound
	}
	var rc consensus.Config
	localTimeouts(&rc)
	return freshHeartbeats * rc.HeartbeatTimeout
}

// startCatchUp sets the bound and starts the probing goroutine, owned by the node (Close
// waits for it); it stops when ctx ends.
func (n *Node) startCatchUp(ctx context.Context) {
	n.catchUp.fresh.init(n.freshBound(), n.now())
	n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meridian_fresh_age_seconds",
		Help: "Seconds since the latest successful freshness probe began (-1: none yet); authenticated requests are refused above meridian_fresh_bound_seconds.",
	}, n.freshAge), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meridian_fresh_bound_seconds",
		Help: "The fresh bound: the longest a revocation made through another node can take to hold on this node.",
	}, func() float64 { return n.catchUp.fresh.bound.Seconds() }))
	n.goFunc(func() { n.freshLoop(ctx) })
}

// freshAge is the age of the latest confirmation in seconds, -1 when there is none.
func (n *Node) freshAge() float64 {
	age, ok := n.catchUp.fresh.age(n.now())
	if !ok {
		return -1
	}
	return age.Seconds()
}

// confirmFresh records a probe that began at began and succeeded, and opens the start gate.
func (n *Node) confirmFresh(began time.Time) {
	n.catchUp.fresh.confirm(began)
	if !n.catchUp.open.Swap(true) {
		n.log.Info("caught up with the federation")
	}
}

// probe runs one freshness probe bounded by timeout and records its success.
func (n *Node) probe(ctx context.Context, timeout time.Duration) error {
	began := n.now()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	catchUp := n.catchUp.probe
	if catchUp == nil {
		catchUp = n.raft.CatchUp
	}
	if err := catchUp(pctx); err != nil {
		return err
	}
	n.confirmFresh(began)
	return nil
}

// tryCatchUp is one probe with a generous deadline, for init and join (openGateNow).
func (n *Node) tryCatchUp(ctx context.Context) error {
	return n.probe(ctx, catchUpRoundTimeout)
}
