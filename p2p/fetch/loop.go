package fetch

import (
	"math"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// loop runs attempts until k shards are verified or nothing is left to try.
func (r *run) loop() ([][]byte, error) {
	const op = "fetch.FetchStripe"
	for r.have < r.k {
		if !r.fill() && len(r.inflight) == 0 && r.pending == 0 {
			return nil, errs.Errorf(op, errs.Unavailable, "only %d of the %d shards needed could be fetched (last error: %v); the holders are down or lost the shards — retry after repair", r.have, r.k, r.lastErr)
		}
		timer := time.NewTimer(time.Until(r.nextWake()))
		select {
		case res := <-r.results:
			r.handle(res)
		case lr := <-r.lookupsCh:
			r.addProviders(lr)
		case <-timer.C:
			r.markSlow()
		case <-r.ctx.Done():
			timer.Stop()
			return nil, errs.E(op, errs.Timeout, r.ctx.Err())
		}
		timer.Stop()
	}
	return r.out, nil
}

// fill starts attempts until k (plus Spare) minus the shards already had are making progress, looking
// for more providers when the known holders run out. It reports whether any attempt is
// making progress.
func (r *run) fill() bool {
	for r.active() < r.k-r.have+r.f.cfg.Spare {
		a := r.pick()
		if a == nil {
			if r.active() == 0 && r.lookup() {
				continue
			}
			break
		}
		r.launch(a)
	}
	return r.active() > 0
}

// active counts attempts in flight that have not been hedged.
func (r *run) active() int {
	n := 0
	for _, a := range r.inflight {
		if !a.slow {
			n++
		}
	}
	return n
}

// pick chooses the next (shard, peer) to try. Per shard only the first holder not yet asked
// is eligible: holders come best guess first (where placement put the shard, then fallbacks),
// so asking a fallback before the expected holder would mostly earn a "not here". Among the
// shards it picks the lowest expected time, scaled by how many requests the peer already
// serves for us, preferring shards nobody is fetching (any k shards will do, so a fresh shard
// is better than a duplicate).
func (r *run) pick() *attempt {
	var best *attempt
	bestScore := math.Inf(1)
	for i, c := range r.cands {
		if r.out[i] != nil || r.held(i) {
			continue
		}
		p, ok := r.nextCandidate(i, c)
		if !ok {
			continue
		}
		score := r.f.stats.Expect(p, r.size).Seconds() * float64(1+r.load[p])
		if r.fetching(i) {
			score += 1e6
		}
		if score < bestScore {
			best, bestScore = &attempt{shard: i, peer: p}, score
		}
	}
	return best
}

// nextCandidate returns shard i's first holder not asked yet.
func (r *run) nextCandidate(i int, c []peer.ID) (peer.ID, bool) {
	for _, p := range c {
		if !r.tried[i][p] {
			return p, true
		}
	}
	return "", false
}

func (r *run) fetching(shard int) bool {
	for _, a := range r.inflight {
		if a.shard == shard {
			return true
		}
	}
	return false
}

func (r *run) nextHedge() time.Time {
	t := time.Now().Add(time.Hour)
	for _, a := range r.inflight {
		if !a.slow && a.hedge.Before(t) {
			t = a.hedge
		}
	}
	return t
}

// markSlow marks every attempt past its hedge time, so fill starts others beside them.
func (r *run) markSlow() {
	now := time.Now()
	for _, a := range r.inflight {
		if !a.slow && !now.Before(a.hedge) {
			a.slow = true
			r.f.hedges.Add(1)
		}
	}
}

// handle takes one finished attempt.
func (r *run) handle(res result) {
	a := res.a
	for i, b := range r.inflight {
		if b == a {
			r.inflight = append(r.inflight[:i], r.inflight[i+1:]...)
			break
		}
	}
	r.load[a.peer]--
	if a.cancelled {
		return
	}
	if res.err == nil && !r.f.verified {
		res.err = verify(r.cids[a.shard], res.data)
	}
	if res.err != nil {
		if !errs.Is(res.err, errs.NotExist) { // "not here" is an answer, not a failing peer
			r.f.stats.Fail(a.peer)
		} else {
			r.startLookup(a.shard) // the shard moved: the DHT knows where
		}
		r.lastErr = res.err
		r.f.cfg.Logger.Debug("shard fetch failed", "cid", r.cids[a.shard], "peer", a.peer, "err", res.err)
		r.reportBad(a, res.err)
		return
	}
	r.f.stats.Observe(a.peer, int64(len(res.data)), res.dur)
	r.tighten(res.dur)
	if r.out[a.shard] == nil && r.found[a.shard][a.peer] {
		r.f.lookupFetched.Add(1)
	}
	if r.out[a.shard] == nil {
		r.out[a.shard] = res.data
		r.have++
		r.size = int64(len(res.data))
		r.cancelShard(a.shard)
	}
}

// tighten moves hedge times earlier once a sibling shard (same size) has arrived: an
// attempt taking SiblingMult times as long as a sibling did is slow, whatever the peer's
// history.
func (r *run) tighten(sibling time.Duration) {
	limit := max(time.Duration(float64(sibling)*r.f.cfg.SiblingMult), r.f.cfg.MinHedge)
	for _, a := range r.inflight {
		if t := a.start.Add(limit); !a.slow && t.Before(a.hedge) {
			a.hedge = t
		}
	}
}

// finish cancels what is still running and teaches the statistics about the slow attempts
// abandoned: their elapsed time is a lower bound of what they would have taken.
func (r *run) finish() {
	for _, a := range r.inflight {
		if a.slow && !a.cancelled {
			r.abandonSlow(a)
		}
		a.cancel()
	}
}

// cancelShard stops the other attempts at a shard already had.
func (r *run) cancelShard(shard int) {
	for _, a := range r.inflight {
		if a.shard == shard && !a.cancelled {
			if a.slow {
				r.abandonSlow(a)
			}
			a.cancelled, a.slow = true, true
			a.cancel()
		}
	}
}

// abandonSlow records a hedged attempt given up on: its elapsed time is a lower bound of its
// duration, which caps the peer's throughput estimate so the next read prefers others.
func (r *run) abandonSlow(a *attempt) {
	r.f.stats.ObserveAtLeast(a.peer, r.size, time.Since(a.start))
}

// reportBad hands a failed attempt to the run's BadShard when it shows the shard is bad.
func (r *run) reportBad(a *attempt, err error) {
	if r.bad == nil {
		return
	}
	if errs.Is(err, errs.Corrupt) || (errs.Is(err, errs.NotExist) && a.peer == r.assigned[a.shard]) {
		r.bad(a.shard, a.peer, err)
	}
}
