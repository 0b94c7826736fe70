package p2p

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/errs"
)

// DefaultReprovideInterval is how often a node announces again every block it holds. The
// DHT keeps a provider record for 48 hours (kad-dht's default provide validity, which this
// node keeps); sweeping at less than half of that leaves a record one failed sweep of slack
// before it expires.
const DefaultReprovideInterval = 22 * time.Hour

// Enumerator lists the blocks a node holds (store.Store implements it).
type Enumerator interface {
	Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error
}

// reprovider sweeps the store into the provider queue when kicked (after connecting: a node
// that rejoins announces what it holds) and every interval after that, so records never
// expire while the block is held, and a deleted block, no longer listed, stops being
// announced.
type reprovider struct {
	src      Enumerator
	p        *Provider
	interval time.Duration
	log      *slog.Logger
	sweeps   prometheus.Counter
	// ready says whether announcements can reach anyone (the DHT's routing table has a
	// peer); nil means always. Right after a Connect the table is often still empty, and a
	// sweep then would fail every announcement and wait a whole interval to try again.
	ready func() bool

	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startReprovider(src Enumerator, p *Provider, interval time.Duration, reg prometheus.Registerer, log *slog.Logger, ready func() bool) *reprovider {
	if interval <= 0 {
		interval = DefaultReprovideInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &reprovider{src: src, p: p, interval: interval, log: log, ready: ready, kick: make(chan struct{}, 1),
		sweeps: counter(reg, "meridian_p2p_reprovide_sweeps_total", "Sweeps of the local store into the provider queue (at start and every reprovide interval).")}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Go(func() { r.run(ctx) })
	return r
}

// Kick asks for a sweep now (coalesced with one already asked for).
func (r *reprovider) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *reprovider) run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		}
		if !r.waitReady(ctx) {
			return
		}
		n, err := r.sweep(ctx)
		r.sweeps.Inc()
		r.log.Debug("reprovide sweep", "blocks", n, "err", err)
	}
}

// waitReady waits until announcements can reach a peer, or ctx ends (false).
func (r *reprovider) waitReady(ctx context.Context) bool {
	if r.ready == nil {
		return true
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !r.ready() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// sweep enqueues every block the store holds and returns how many. It waits for room in the
// queue (EnqueueWait), so it runs at the provide rate and drops nothing: a large store takes
// its size over Rate to sweep (a million blocks at 500/s: about 35 minutes).
func (r *reprovider) sweep(ctx context.Context) (int, error) {
	n := 0
	err := r.src.Enumerate(ctx, func(c cid.Cid, _ int64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !r.p.EnqueueWait(ctx, c) {
			return errs.Errorf("p2p.reprovide", errs.Unavailable, "the reprovide sweep stopped: the node is closing")
		}
		n++
		return nil
	})
	return n, err
}

func (r *reprovider) close() {
	r.cancel()
	r.wg.Wait()
}
