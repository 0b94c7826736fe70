package p2p

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"
)

// ContentProvider announces that this node holds a block (the DHT implements it).
type ContentProvider interface {
	Provide(ctx context.Context, c cid.Cid, announce bool) error
}

// provideTimeout bounds one announcement; a federation DHT answers in well under a second.
const provideTimeout = 30 * time.Second

// Provider announces blocks in the background so a PUT never waits for the DHT: Enqueue puts
// a CID in a bounded queue and a few workers announce it. When the queue is full the CID is
// dropped and counted; the repair loop re-announces what it finds unannounced.
type Provider struct {
	r   ContentProvider
	log *slog.Logger
	q   chan cid.Cid

	mu     sync.Mutex
	queued map[cid.Cid]bool // guarded by mu; CIDs in q, to skip duplicates

	provided, failed, dropped prometheus.Counter
	completed                 atomic.Int64 // announcements finished, successful or not

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewProvider starts workers announcing through r, with room for queueLen pending CIDs.
func NewProvider(r ContentProvider, queueLen, workers int, reg prometheus.Registerer, log *slog.Logger) *Provider {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Provider{
		r: r, log: log, q: make(chan cid.Cid, max(queueLen, 1)), queued: map[cid.Cid]bool{},
		provided: counter(reg, "meridian_p2p_provided_total", "Provider records announced in the federation DHT."),
		failed:   counter(reg, "meridian_p2p_provide_failed_total", "Provider announcements that failed."),
		dropped:  counter(reg, "meridian_p2p_provide_dropped_total", "Provider announcements dropped because the queue was full."),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for range max(workers, 1) {
		p.wg.Go(p.work)
	}
	return p
}

func counter(reg prometheus.Registerer, name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				return are.ExistingCollector.(prometheus.Counter)
			}
		}
	}
	return c
}

// Enqueue schedules an announcement of c without blocking. It reports false when the queue
// is full or the provider is closed.
func (p *Provider) Enqueue(c cid.Cid) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queued[c] {
		return true
	}
	if p.ctx.Err() != nil {
		return false
	}
	select {
	case p.q <- c:
		p.queued[c] = true
		return true
	default:
		p.dropped.Inc()
		return false
	}
}

// Pending returns the number of CIDs waiting to be announced.
func (p *Provider) Pending() int { return len(p.q) }

// Completed returns the number of announcements finished so far, successful or not.
func (p *Provider) Completed() int64 { return p.completed.Load() }

func (p *Provider) work() {
	for {
		select {
		case <-p.ctx.Done():
			return
		case c := <-p.q:
			p.mu.Lock()
			delete(p.queued, c)
			p.mu.Unlock()
			p.provide(c)
		}
	}
}

func (p *Provider) provide(c cid.Cid) {
	ctx, cancel := context.WithTimeout(p.ctx, provideTimeout)
	defer cancel()
	defer p.completed.Add(1)
	if err := p.r.Provide(ctx, c, true); err != nil {
		p.failed.Inc()
		p.log.Debug("provide failed", "cid", c, "err", err)
		return
	}
	p.provided.Inc()
}

// Close stops the workers, abandoning announcements still queued, and waits for them.
func (p *Provider) Close() {
	p.mu.Lock()
	p.cancel()
	p.mu.Unlock()
	p.wg.Wait()
}
