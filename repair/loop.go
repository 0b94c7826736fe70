package repair

import (
	"context"
	"time"
)

// retryBase is the first wait before a failed pass or readiness check is retried; the wait
// doubles up to Config.Interval (readiness: up to readyMax). A kick cuts either wait short.
const (
	retryBase = time.Second
	readyMax  = 30 * time.Second
)

// Kick asks the loop for a pass soon: after a publish stored a stripe with shards missing, a
// node came back, a scrub removed blocks, a node was drained. It never blocks and kicks
// coalesce: any number of kicks before a pass starts are served by that pass, and kicks while
// a pass runs cause exactly one more. The kicked pass starts Config.KickDelay after the kick
// that woke the loop and no sooner after the last pass ended than that pass lasted, so a kick
// storm keeps repair busy at most half the time. A kick changes no grace period: a node that
// stopped answering is still rebuilt elsewhere only after Config.Grace. A kick before Run or
// after it returned does nothing but leave one pending wake-up.
func (r *Repairer) Kick() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Trigger is Kick (its older name, kept for callers).
func (r *Repairer) Trigger() { r.Kick() }

// Run waits until Config.Ready passes, runs a pass, then one every Interval or soon after a
// Kick, until ctx ends. A failed pass is retried after a backoff from one second up to
// Interval. Passes never overlap. The caller owns the goroutine that runs it.
func (r *Repairer) Run(ctx context.Context) {
	if !r.waitReady(ctx) {
		return
	}
	retry := retryBase
	for {
		r.drainKicks() // kicks before this pass starts are served by it
		rep, err := r.Pass(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := r.cfg.Interval
		if err != nil {
			wait, retry = min(retry, wait), min(2*retry, wait)
			r.cfg.Log.Warn("repair pass failed; retrying", "in", wait, "err", err)
		} else {
			retry = retryBase
		}
		if kicked := sleepOrWake(ctx, r.cfg.Clock, wait, r.trigger); kicked {
			r.settleKick(ctx, rep.End.Sub(rep.Start))
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// settleKick waits before a kicked pass: KickDelay, and at least as long as the last pass
// took (lasted is zero or negative when the pass failed early).
func (r *Repairer) settleKick(ctx context.Context, lasted time.Duration) {
	if d := max(r.cfg.KickDelay, lasted); d > 0 {
		_ = r.cfg.Clock.Sleep(ctx, d)
	}
}

func (r *Repairer) drainKicks() {
	select {
	case <-r.trigger:
	default:
	}
}

// waitReady calls Config.Ready until it passes, with backoff or at a kick; false when ctx
// ended first.
func (r *Repairer) waitReady(ctx context.Context) bool {
	if r.cfg.Ready == nil {
		return true
	}
	backoff := retryBase
	for {
		cctx, cancel := context.WithTimeout(ctx, r.cfg.ProbeTimeout)
		err := r.cfg.Ready(cctx)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.cfg.Log.Info("first repair pass waits for this node's catalog replica to catch up", "retry_in", backoff, "err", err)
		sleepOrWake(ctx, r.cfg.Clock, backoff, r.trigger) // a kick (a node connected) retries now
		if ctx.Err() != nil {
			return false
		}
		backoff = min(2*backoff, r.cfg.Interval, readyMax)
	}
}
