package repair

import (
	"context"
	"math"
	"sync"

	"golang.org/x/time/rate"
)

// byteLimiter paces repair traffic with a token bucket of bytes per second. It reserves
// tokens at the clock's time and sleeps on the clock, so a fake clock measures it exactly.
type byteLimiter struct {
	lim   *rate.Limiter // nil: unlimited
	clock Clock
	burst int
	mu    sync.Mutex // reservations in clock order: a reservation at an earlier time than the last one would credit the interval twice
}

// newByteLimiter allows bytesPerSecond on average with a burst of one second's worth (at least
// 64 KiB); 0 or less means no limit.
func newByteLimiter(bytesPerSecond int64, clock Clock) *byteLimiter {
	if bytesPerSecond <= 0 {
		return &byteLimiter{clock: clock}
	}
	burst := int(min(max(bytesPerSecond, 64<<10), math.MaxInt32))
	return &byteLimiter{lim: rate.NewLimiter(rate.Limit(bytesPerSecond), burst), clock: clock, burst: burst}
}

// wait takes n bytes' worth of tokens, in pieces no larger than the burst, sleeping as needed.
func (b *byteLimiter) wait(ctx context.Context, n int) error {
	if b.lim == nil {
		return ctx.Err()
	}
	for n > 0 {
		part := min(n, b.burst)
		b.mu.Lock()
		now := b.clock.Now()
		r := b.lim.ReserveN(now, part)
		b.mu.Unlock()
		if !r.OK() {
			return ctx.Err() // cannot happen: part <= burst
		}
		if err := b.clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
			r.CancelAt(b.clock.Now())
			return err
		}
		n -= part
	}
	return nil
}
