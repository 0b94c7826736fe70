package repair

import (
	"context"
	"time"
)

// Clock is the time source of the loops and the rate limiter, injected so tests run on fake time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, whichever comes first, and reports ctx's error if it ended.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d on a timer, or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sleepOrWake sleeps d on clock, or less when wake receives or ctx ends, and reports whether
// wake ended it. Its helper goroutine has ended when it returns.
func sleepOrWake(ctx context.Context, clock Clock, d time.Duration, wake <-chan struct{}) bool {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	woken := false
	go func() {
		defer close(done)
		select {
		case <-wake:
			woken = true
			cancel()
		case <-sctx.Done():
		}
	}()
	_ = clock.Sleep(sctx, d)
	cancel()
	<-done
	return woken
}
