package repair

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// ScrubConfig configures a Scrubber.
type ScrubConfig struct {
	Store          store.Store
	Interval       time.Duration // between scrubs (default 24h)
	BytesPerSecond int64         // read pacing; 0: none
	Clock          Clock         // nil: SystemClock
	Log            *slog.Logger  // nil: discard
	Metrics        *Metrics      // nil: unregistered series
	// Removed, when set, is called after a scrub that deleted damaged blocks, so the repair loop
	// can restore them (Repairer.Trigger).
	Removed func()
	// Found, when set, is called after a scrub with the blocks it found damaged (and removed),
	// so the node can tell each one's stripe's repairer (node/badshard.go).
	Found func(ctx context.Context, cids []cid.Cid)
}

// Scrubber re-hashes a node's blocks on a schedule and on demand, deleting the damaged ones so
// that HAS reports them missing and repair rebuilds them from the rest of their stripe.
type Scrubber struct {
	cfg ScrubConfig
	now chan struct{}
	run sync.Mutex // one scrub at a time

	mu   sync.Mutex
	last time.Time         // guarded by mu: end of the last complete scrub
	rep  store.ScrubReport // guarded by mu: its report
}

// NewScrubber returns a scrubber; Run starts its schedule, Scrub runs one now.
func NewScrubber(cfg ScrubConfig) (*Scrubber, error) {
	if cfg.Store == nil || cfg.Interval < 0 || cfg.BytesPerSecond < 0 {
		return nil, errs.Errorf("repair.NewScrubber", errs.Invalid, "a store is required, and Interval and BytesPerSecond must not be negative")
	}
	if cfg.Interval == 0 {
		cfg.Interval = 24 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	return &Scrubber{cfg: cfg, now: make(chan struct{}, 1)}, nil
}

// Scrub re-hashes every block now and returns the report. Damaged blocks are deleted.
func (s *Scrubber) Scrub(ctx context.Context) (store.ScrubReport, error) {
	s.run.Lock()
	defer s.run.Unlock()
	start := s.cfg.Clock.Now()
	m := s.cfg.Metrics
	var found []cid.Cid
	rep, err := store.Scrub(ctx, s.cfg.Store, store.ScrubOptions{Remove: true, BytesPerSecond: s.cfg.BytesPerSecond},
		func(c cid.Cid, err error) {
			s.cfg.Log.Warn("scrub found a bad block", "cid", c, "err", err)
			found = append(found, c)
		})
	m.scrubBlocks.Add(float64(rep.Blocks))
	m.scrubBytes.Add(float64(rep.Bytes))
	m.scrubCorrupt.Add(float64(rep.Corrupt))
	m.scrubRemoved.Add(float64(rep.Removed))
	m.scrubFailed.Add(float64(rep.Failed))
	if rep.Removed > 0 && s.cfg.Removed != nil {
		s.cfg.Removed()
	}
	if len(found) > 0 && s.cfg.Found != nil {
		s.cfg.Found(ctx, found)
	}
	if err != nil {
		return rep, err
	}
	end := s.cfg.Clock.Now()
	m.scrubLast.Set(float64(end.UnixNano()) / 1e9)
	m.scrubSeconds.Set(end.Sub(start).Seconds())
	s.mu.Lock()
	s.last, s.rep = end, rep
	s.mu.Unlock()
	return rep, nil
}

// Last returns when the last complete scrub ended (zero before the first) and its report.
func (s *Scrubber) Last() (time.Time, store.ScrubReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.rep
}

// Age is how long ago the last complete scrub ended; 0 before the first.
func (s *Scrubber) Age() time.Duration {
	last, _ := s.Last()
	if last.IsZero() {
		return 0
	}
	return s.cfg.Clock.Now().Sub(last)
}

// Trigger asks the loop for a scrub now.
func (s *Scrubber) Trigger() {
	select {
	case s.now <- struct{}{}:
	default:
	}
}

// Run scrubs every Interval (the first one Interval after it starts, so a restarting node does
// not re-read its disk at once) or on Trigger, until ctx ends. The caller owns the goroutine.
func (s *Scrubber) Run(ctx context.Context) {
	for {
		sleepOrWake(ctx, s.cfg.Clock, s.cfg.Interval, s.now)
		if ctx.Err() != nil {
			return
		}
		if rep, err := s.Scrub(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("scrub stopped early; retrying at the next interval", "err", err)
		} else if rep.Corrupt > 0 {
			s.cfg.Log.Warn("scrub removed damaged blocks; repair restores them", "corrupt", rep.Corrupt, "removed", rep.Removed)
		}
	}
}
