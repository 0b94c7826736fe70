package node

import (
	"context"
	"time"
)

// freshLoop probes freshProbesPerBound times per bound while probes succeed, and after a
// failure again at once with a doubling pause (from catchUpRetryMin up to the normal
// interval), so a node that reconnects is fresh again within one pause. A probe may take
// at most the bound: one that takes longer could not keep the node fresh anyway. Changes
// between fresh and stale are logged once each.
func (n *Node) freshLoop(ctx context.Context) {
	f := &n.catchUp.fresh
	every := max(f.bound/freshProbesPerBound, catchUpRetryMin)
	pause := catchUpRetryMin
	wasFresh := false
	for ctx.Err() == nil {
		err := n.probe(ctx, f.bound)
		wait := every
		if err != nil {
			wait, pause = pause, min(2*pause, every)
		} else {
			pause = catchUpRetryMin
		}
		wasFresh = n.logFreshChange(wasFresh, err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// logFreshChange logs when the node turns stale or fresh again and returns whether it is
// fresh now; probeErr is the latest probe's error.
func (n *Node) logFreshChange(wasFresh bool, probeErr error) bool {
	err := n.stale()
	switch {
	case err == nil && !wasFresh:
		n.log.Info("in step with the federation's leader: serving authenticated requests", "bound", n.catchUp.fresh.bound)
	case err != nil && wasFresh:
		n.log.Warn("lost step with the federation's leader: refusing authenticated requests until it is back", "bound", n.catchUp.fresh.bound, "probe", probeErr)
	case err != nil && probeErr != nil:
		n.log.Debug("still not in step with the federation's leader", "probe", probeErr)
	}
	return err == nil
}
