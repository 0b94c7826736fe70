// Package fetch reads a stripe's shards fast: it asks the k best holders in parallel, hedges
// to another holder when one is slow, verifies every shard and stops at k.
package fetch

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// Getter fetches a whole shard from a peer (the shard protocol client implements it).
type Getter interface {
	GetShard(ctx context.Context, p peer.ID, c cid.Cid, off, length int64) ([]byte, error)
}

// VerifyingGetter is an optional interface of a Getter whose whole-shard reads (off 0,
// length 0) return only bytes it has checked against the CID, hashing them as they arrive
// (the shard protocol client does). The fetcher then does not hash them a second time.
type VerifyingGetter interface {
	Getter
	VerifiesShards() bool
}

// Finder finds peers announcing a block (the federation DHT implements it).
type Finder interface {
	FindProviders(ctx context.Context, c cid.Cid) ([]peer.AddrInfo, error)
}

// Config tunes a Fetcher. The zero value means the defaults.
type Config struct {
	Self        peer.ID       // never asked (the caller reads its own store first)
	ShardSize   int64         // expected shard size before the first one of a stripe arrives
	HedgeMult   float64       // hedge after this multiple of a peer's expected time at least
	SiblingMult float64       // or after this multiple of the time a sibling shard took
	MinHedge    time.Duration // never hedge sooner than this
	FindTimeout time.Duration // bound on a provider lookup
	// LookupWait is how long a shard whose holder answered "not here" waits for its provider
	// lookup before the fetcher goes on to its fallbacks anyway (a slow DHT must not stall a
	// read that a fallback could serve); the lookup's answer is still used when it comes.
	LookupWait time.Duration
	// Spare starts this many requests beyond k at once. Each costs one extra shard of
	// bandwidth per stripe but hides one slow holder without waiting to notice it (for
	// latency-sensitive reads; hedging alone needs a few sibling times to react).
	Spare  int
	Logger *slog.Logger
}

// Fetcher reads stripes. It is safe for concurrent use and shares its peer statistics
// across calls.
type Fetcher struct {
	get      Getter
	verified bool   // get checks whole shards itself (VerifyingGetter)
	find     Finder // may be nil
	cfg      Config
	stats    *Stats

	attempts, hedges       atomic.Int64
	lookups, lookupFetched atomic.Int64
}

// LookupCounts returns how many provider lookups the fetcher started and how many shards it
// then fetched from a holder a lookup named.
func (f *Fetcher) LookupCounts() (lookups, fetched int64) {
	return f.lookups.Load(), f.lookupFetched.Load()
}

// Counts returns how many shard requests and how many hedges (requests started because
// another was slow) the fetcher has made.
func (f *Fetcher) Counts() (attempts, hedges int64) {
	return f.attempts.Load(), f.hedges.Load()
}

// New returns a fetcher. find may be nil (no provider fallback).
func New(get Getter, find Finder, cfg Config) *Fetcher {
	if cfg.ShardSize <= 0 {
		cfg.ShardSize = 1 << 20
	}
	if cfg.HedgeMult <= 0 {
		cfg.HedgeMult = 3
	}
	if cfg.SiblingMult <= 0 {
		cfg.SiblingMult = 2
	}
	if cfg.MinHedge <= 0 {
		cfg.MinHedge = 20 * time.Millisecond
	}
	if cfg.FindTimeout <= 0 {
		cfg.FindTimeout = 10 * time.Second
	}
	if cfg.LookupWait <= 0 {
		cfg.LookupWait = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fetcher{get: get, find: find, cfg: cfg, stats: NewStats()}
	if v, ok := get.(VerifyingGetter); ok {
		f.verified = v.VerifiesShards()
	}
	return f
}

// Stats returns the per-peer statistics the fetcher ranks holders by.
func (f *Fetcher) Stats() *Stats { return f.stats }

// FetchStripe fetches shards of one stripe: cids are its k+m shard CIDs in order and
// holders[i] the peers expected to hold shard i, best guess first. The result has one slot
// per CID with at least k non-nil shards, each verified against its CID. When the holders
// cannot supply k shards, the fetcher asks the DHT for other providers: for a shard as soon
// as one of its holders answers "not here", and for every missing shard when nothing else is
// left to try. If k still cannot be had, it fails with errs.Unavailable.
func (f *Fetcher) FetchStripe(ctx context.Context, cids []cid.Cid, holders [][]peer.ID, k int) ([][]byte, error) {
	return f.FetchStripeWatch(ctx, cids, holders, k, nil)
}

// BadShard reports a shard the fetch routed around because it is known bad: a holder sent
// bytes that do not hash to its CID (Corrupt), or the shard's first holder, the one placement
// assigns, answered that it has none (NotExist). Other failures (a slow or unreachable peer,
// a fallback peer without the shard) are not reported: they say nothing about the shard.
type BadShard func(shard int, p peer.ID, err error)

// FetchStripeWatch is FetchStripe that calls bad, from the fetching goroutine, for every
// shard found bad on the way (nil: none are reported).
func (f *Fetcher) FetchStripeWatch(ctx context.Context, cids []cid.Cid, holders [][]peer.ID, k int, bad BadShard) ([][]byte, error) {
	const op = "fetch.FetchStripe"
	if k <= 0 || k > len(cids) || len(holders) != len(cids) {
		return nil, errs.Errorf(op, errs.Invalid, "bad stripe: %d CIDs, %d holder lists, k=%d", len(cids), len(holders), k)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &run{f: f, ctx: ctx, cids: cids, k: k, size: f.cfg.ShardSize,
		out: make([][]byte, len(cids)), results: make(chan result, 4*len(cids)),
		looked: make([]bool, len(cids)), waiting: make([]bool, len(cids)), waitTill: make([]time.Time, len(cids)), found: make([]map[peer.ID]bool, len(cids)),
		lookupsCh: make(chan lookupResult, len(cids)), bad: bad}
	r.initCandidates(holders)
	defer func() { r.finish(); cancel(); r.wg.Wait() }()
	return r.loop()
}

// result is the outcome of one attempt.
type result struct {
	a    *attempt
	data []byte
	err  error
	dur  time.Duration
}

// attempt is one GET of one shard from one peer.
type attempt struct {
	shard int
	peer  peer.ID
	start time.Time
	hedge time.Time // when to give up waiting and start another attempt
	slow  bool      // hedged: no longer counted as making progress

	cancel    context.CancelFunc
	cancelled bool // stopped by us because another attempt got the shard
}

func (r *run) launch(a *attempt) {
	a.start = time.Now()
	a.hedge = a.start.Add(max(r.f.stats.HedgeAfter(a.peer, r.size, r.f.cfg.HedgeMult), r.f.cfg.MinHedge))
	r.inflight = append(r.inflight, a)
	r.load[a.peer]++
	r.tried[a.shard][a.peer] = true
	r.f.attempts.Add(1)
	ctx, cancel := context.WithCancel(r.ctx)
	a.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		data, err := r.f.get.GetShard(ctx, a.peer, r.cids[a.shard], 0, 0)
		select {
		case r.results <- result{a: a, data: data, err: err, dur: time.Since(a.start)}:
		case <-r.ctx.Done():
		}
	}()
}

// run is the state of one FetchStripe call, owned by its loop goroutine.
type run struct {
	f        *Fetcher
	ctx      context.Context
	cids     []cid.Cid
	k        int
	size     int64
	out      [][]byte
	have     int
	cands    [][]peer.ID        // per shard: peers that may hold it
	tried    []map[peer.ID]bool // per shard: peers asked already
	load     map[peer.ID]int    // attempts in flight per peer
	inflight []*attempt
	results  chan result
	// Provider lookups, at most one per shard: started when a holder answers "not here" (or
	// when nothing else is left to try); while one runs, its shard waits for the answer
	// rather than asking the next fallback, since the DHT knows where the shard went.
	looked    []bool
	waiting   []bool      // lookup under way
	waitTill  []time.Time // when a waiting shard goes on to its fallbacks anyway
	pending   int
	found     []map[peer.ID]bool // per shard: holders a lookup named
	lookupsCh chan lookupResult
	wg        sync.WaitGroup
	lastErr   error
	bad       BadShard  // nil: not reported
	assigned  []peer.ID // per shard: the first holder given, "" when none
}

func (r *run) initCandidates(holders [][]peer.ID) {
	r.cands = make([][]peer.ID, len(holders))
	r.assigned = make([]peer.ID, len(holders))
	for i, hs := range holders {
		if len(hs) > 0 {
			r.assigned[i] = hs[0]
		}
	}
	r.tried = make([]map[peer.ID]bool, len(holders))
	r.load = map[peer.ID]int{}
	for i, hs := range holders {
		r.tried[i] = map[peer.ID]bool{}
		for _, p := range hs {
			if p != r.f.cfg.Self && p != "" {
				r.cands[i] = append(r.cands[i], p)
			}
		}
	}
}
