package p2p

import (
	"container/list"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// ContentProvider announces that this node holds a block (the DHT implements it).
type ContentProvider interface {
	Provide(ctx context.Context, c cid.Cid, announce bool) error
}

// provideTimeout bounds one announcement; a federation DHT answers in well under a second.
const provideTimeout = 30 * time.Second

// ProviderConfig tunes a Provider. The zero value of a field means its default.
type ProviderConfig struct {
	Queue   int        // pending CIDs kept; when full the oldest is dropped (default 16384)
	Workers int        // announcements in parallel (default 16)
	Rate    rate.Limit // announcements started per second (default 500; rate.Inf: no limit)
	Burst   int        // announcements allowed at once above Rate (default Workers)
}

func (c *ProviderConfig) fill() {
	if c.Queue <= 0 {
		c.Queue = 16384
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Rate <= 0 {
		c.Rate = 500
	}
	if c.Burst <= 0 {
		c.Burst = c.Workers
	}
}

// Provider announces blocks in the background so a PUT never waits for the DHT. Enqueue puts
// a CID in a bounded queue that coalesces duplicates; when the queue is full the oldest CID
// is dropped and counted (the next re-provide sweep announces it again). A few workers take
// CIDs from the queue, at most Rate per second, and announce them. Forget takes a CID out of
// the queue, for a block deleted before it was announced.
type Provider struct {
	r   ContentProvider
	log *slog.Logger
	cfg ProviderConfig
	lim *rate.Limiter

	mu     sync.Mutex
	order  *list.List                // guarded by mu; pending CIDs, oldest first
	queued map[cid.Cid]*list.Element // guarded by mu; the elements of order by CID
	wake   chan struct{}             // a token when order became non-empty
	room   chan struct{}             // a token when a CID left order (EnqueueWait waits on it)

	provided, failed, dropped prometheus.Counter
	completed                 atomic.Int64 // announcements finished, successful or not
	droppedN                  atomic.Int64 // CIDs dropped from a full queue

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewProvider starts workers announcing through r.
func NewProvider(r ContentProvider, cfg ProviderConfig, reg prometheus.Registerer, log *slog.Logger) *Provider {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.fill()
	p := &Provider{
		r: r, log: log, cfg: cfg, lim: rate.NewLimiter(cfg.Rate, cfg.Burst),
		order: list.New(), queued: map[cid.Cid]*list.Element{}, wake: make(chan struct{}, 1), room: make(chan struct{}, 1),
		provided: counter(reg, "meridian_p2p_provided_total", "Provider records announced in the federation DHT."),
		failed:   counter(reg, "meridian_p2p_provide_failed_total", "Provider announcements that failed."),
		dropped:  counter(reg, "meridian_p2p_provide_dropped_total", "Provider announcements dropped (oldest first) because the queue was full."),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
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

// Enqueue schedules an announcement of c without blocking. A CID already pending is not
// queued twice; when the queue is full the oldest pending CID is dropped to make room. It
// reports false only when the provider is closed.
func (p *Provider) Enqueue(c cid.Cid) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return false
	}
	if _, ok := p.queued[c]; ok {
		return true
	}
	if p.order.Len() >= p.cfg.Queue {
		oldest := p.order.Front()
		delete(p.queued, p.order.Remove(oldest).(cid.Cid))
		p.dropped.Inc()
		p.droppedN.Add(1)
	}
	p.queued[c] = p.order.PushBack(c)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

// Forget drops c from the queue if it is still pending (its block was deleted).
func (p *Provider) Forget(c cid.Cid) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.queued[c]; ok {
		p.order.Remove(e)
		delete(p.queued, c)
		p.signalRoom()
	}
}

// Pending returns the number of CIDs waiting to be announced.
func (p *Provider) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.order.Len()
}

// Dropped returns the number of CIDs dropped (oldest first) from a full queue.
func (p *Provider) Dropped() int64 { return p.droppedN.Load() }

// Completed returns the number of announcements finished so far, successful or not.
func (p *Provider) Completed() int64 { return p.completed.Load() }

// next takes the oldest pending CID, waiting for one; false when the provider closes.
func (p *Provider) next() (cid.Cid, bool) {
	for {
		p.mu.Lock()
		if e := p.order.Front(); e != nil {
			c := p.order.Remove(e).(cid.Cid)
			delete(p.queued, c)
			more := p.order.Len() > 0
			p.signalRoom()
			p.mu.Unlock()
			if more { // pass the token on so another worker picks up the rest
				select {
				case p.wake <- struct{}{}:
				default:
				}
			}
			return c, true
		}
		p.mu.Unlock()
		select {
		case <-p.ctx.Done():
			return cid.Undef, false
		case <-p.wake:
		}
	}
}

func (p *Provider) work() {
	for {
		if err := p.lim.Wait(p.ctx); err != nil {
			return
		}
		c, ok := p.next()
		if !ok {
			return
		}
		p.provide(c)
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
