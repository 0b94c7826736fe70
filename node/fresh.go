package node

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// The freshness rule. A node answers authenticated requests from its local replica only
// while it can show that the replica is current: some freshness probe (consensus CatchUp:
// the leader proves its leadership to a quorum and names its commit index, and the local
// FSM applies up to it) that *began* at most bound ago has succeeded. Everything committed
// before that probe began is then applied here, so a token revoked at time t is refused by
// every node by t+bound: either a probe begun after t has succeeded (the revocation is
// applied), or the last success began before t and the bound has run out.
//
// A node cut off from the leader, a leader cut off from its quorum, and a follower whose
// disk is full (it hears heartbeats but cannot append) all stop confirming, and are stale
// once bound has passed since the last confirmation.

// freshness holds the time of the last confirmation; all methods are safe for concurrent
// use and cost an atomic load or two. Its zero value (bound 0) checks nothing: it is the
// state of a Node built without Start, as in unit tests; Start always sets a bound.
type freshness struct {
	bound time.Duration
	base  time.Time    // reference point of last (monotonic when taken from time.Now)
	last  atomic.Int64 // ns after base at which the latest confirmed probe began; never: none
}

// never is last before the first confirmation.
const never = math.MinInt64

// init sets the bound and the reference time; call it before any other method.
func (f *freshness) init(bound time.Duration, now time.Time) {
	f.bound, f.base = bound, now
	f.last.Store(never)
}

// confirm records a probe that began at began and succeeded. An older confirmation never
// replaces a newer one.
func (f *freshness) confirm(began time.Time) {
	ns := began.Sub(f.base).Nanoseconds()
	for {
		old := f.last.Load()
		if ns <= old || f.last.CompareAndSwap(old, ns) {
			break
		}
	}
}

// age returns how long ago the latest confirmed probe began; ok is false if none has.
func (f *freshness) age(now time.Time) (time.Duration, bool) {
	ns := f.last.Load()
	if ns == never || f.bound == 0 {
		return 0, false
	}
	return now.Sub(f.base.Add(time.Duration(ns))), true
}

// check returns nil while the replica is known to be current at now (by clock), or a
// NotCaughtUp error saying how stale it may be and what to do.
func (f *freshness) check(clock func() time.Time) error {
	if f.bound == 0 {
		return nil
	}
	age, ok := f.age(clock())
	if ok && age <= f.bound {
		return nil
	}
	return f.staleError(age, ok)
}

func (f *freshness) staleError(age time.Duration, ever bool) error {
	const op = "node.fresh"
	if !ever {
		return errs.Errorf(op, errs.NotCaughtUp,
			"this node has not yet caught up with the federation's leader; retry in a moment or use another node")
	}
	return errs.Errorf(op, errs.NotCaughtUp,
		"this node last confirmed it is in step with the federation's leader %v ago (limit %v), so it may not know of a revoked token or a changed grant; use another node, or retry once it has caught up",
		age.Round(time.Millisecond), f.bound)
}
