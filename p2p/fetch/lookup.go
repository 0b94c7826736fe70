package fetch

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// lookupResult is the answer of one provider lookup.
type lookupResult struct {
	shard int
	provs []peer.AddrInfo
	err   error
}

// lookup starts provider lookups for every missing shard not looked up yet; the fetcher
// calls it when nothing else is left to try. It reports whether it started any.
func (r *run) lookup() bool {
	started := false
	for i := range r.cids {
		if r.startLookup(i) {
			started = true
		}
	}
	return started
}

// startLookup asks the DHT, in the background, who provides shard i, once per shard. The
// answer arrives on lookupsCh (buffered for one answer per shard, so the goroutine never
// blocks) and the shard waits for it.
func (r *run) startLookup(i int) bool {
	if r.f.find == nil || r.looked[i] || r.out[i] != nil {
		return false
	}
	r.looked[i], r.waiting[i] = true, true
	r.waitTill[i] = time.Now().Add(r.f.cfg.LookupWait)
	r.pending++
	r.f.lookups.Add(1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(r.ctx, r.f.cfg.FindTimeout)
		defer cancel()
		provs, err := r.f.find.FindProviders(ctx, r.cids[i])
		r.lookupsCh <- lookupResult{shard: i, provs: provs, err: err}
	}()
	return true
}

// addProviders puts the peers a lookup named ahead of the shard's untried fallbacks: they
// announced the shard, the fallbacks are guesses.
func (r *run) addProviders(lr lookupResult) {
	r.pending--
	r.waiting[lr.shard] = false
	if lr.err != nil {
		r.lastErr = lr.err
	}
	i := lr.shard
	at := 0 // the first untried candidate (the tried ones are a prefix: pick goes in order)
	for at < len(r.cands[i]) && r.tried[i][r.cands[i][at]] {
		at++
	}
	for _, ai := range lr.provs {
		p := ai.ID
		if p == r.f.cfg.Self || p == "" || r.tried[i][p] {
			continue
		}
		if r.found[i] == nil {
			r.found[i] = map[peer.ID]bool{}
		}
		r.found[i][p] = true
		r.cands[i] = slices.DeleteFunc(r.cands[i], func(q peer.ID) bool { return q == p })
		r.cands[i] = slices.Insert(r.cands[i], at, p)
		at++
	}
}

// held reports whether shard i is waiting for its lookup's answer (for at most LookupWait).
func (r *run) held(i int) bool {
	return r.waiting[i] && time.Now().Before(r.waitTill[i])
}

// nextWake is when the loop must look again without a result: the next hedge, or the end of a
// shard's wait for its lookup.
func (r *run) nextWake() time.Time {
	t := r.nextHedge()
	for i, w := range r.waiting {
		if w && r.waitTill[i].After(time.Now()) && r.waitTill[i].Before(t) {
			t = r.waitTill[i]
		}
	}
	return t
}
