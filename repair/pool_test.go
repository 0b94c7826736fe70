package repair

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

func TestPoolRunsAtMostLimitAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(3)
		release := make(chan struct{})
		var running, most atomic.Int32
		started := make(chan struct{})
		go func() {
			defer close(started)
			for range 10 {
				_ = p.Go(context.Background(), func() {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					<-release
					running.Add(-1)
				})
			}
		}()
		synctest.Wait() // every goroutine blocked: three running, the fourth Go waiting
		if running.Load() != 3 {
			t.Fatalf("%d running with a limit of 3", running.Load())
		}
		select {
		case <-started:
			t.Fatal("Go returned for every task while the pool was full")
		default:
		}
		close(release)
		<-started
		p.Wait()
		if most.Load() != 3 || running.Load() != 0 {
			t.Fatalf("at most %d ran at once, %d still running after Wait; want 3 and 0", most.Load(), running.Load())
		}
	})
}

func TestPoolGoGivesUpWhenCtxEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(1)
		release := make(chan struct{})
		if err := p.Go(context.Background(), func() { <-release }); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := false
		errc := make(chan error, 1)
		go func() { errc <- p.Go(ctx, func() { ran = true }) }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Go on a full pool after cancel: %v, want context.Canceled", err)
		}
		close(release)
		p.Wait()
		if ran {
			t.Fatal("a task whose Go gave up ran anyway")
		}
		if err := p.Go(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("Go with an ended ctx and a free slot: %v, ran %v; want context.Canceled and not run", err, ran)
		}
	})
}
