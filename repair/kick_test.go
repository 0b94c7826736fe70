package repair

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meridian-fed/meridian/placement"
)

// gatedCatalog counts passes (calls of Nodes) and can hold a pass inside Objects until released,
// or make it last a while on the (bubble's) clock.
type gatedCatalog struct {
	Catalog
	passes  atomic.Int64
	hold    chan struct{} // when non-nil, Objects waits for it to be closed
	lasting time.Duration // Objects sleeps this long
}

func (c *gatedCatalog) Nodes(ctx context.Context) ([]placement.Node, error) {
	c.passes.Add(1)
	return c.Catalog.Nodes(ctx)
}

func (c *gatedCatalog) Objects(ctx context.Context, fn func(Object) error) error {
	if c.hold != nil {
		select {
		case <-c.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.lasting > 0 {
		time.Sleep(c.lasting)
	}
	return c.Catalog.Objects(ctx, fn)
}

// kickLoop is a Repairer's Run loop inside a synctest bubble, on the bubble's clock, with a
// 10-minute interval: in these tests only a kick explains a pass before that.
type kickLoop struct {
	r      *Repairer
	cat    *gatedCatalog
	cancel context.CancelFunc
	done   chan struct{}
}

func startKickLoop(t *testing.T, f *fed, cat *gatedCatalog, mod func(*Config)) *kickLoop {
	return startKickLoopOn(t, f, f.nodes[0].ID, cat, mod)
}

func startKickLoopOn(t *testing.T, f *fed, self string, cat *gatedCatalog, mod func(*Config)) *kickLoop {
	cat.Catalog = f.cat
	r := f.repairer(self, func(c *Config) {
		c.Catalog, c.Clock, c.Interval, c.KickDelay = cat, SystemClock{}, 10*time.Minute, 2*time.Second
		if mod != nil {
			mod(c)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	l := &kickLoop{r: r, cat: cat, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(l.done); r.Run(ctx) }()
	t.Cleanup(l.stop)
	return l
}

func (l *kickLoop) stop() {
	l.cancel()
	<-l.done
}

func (l *kickLoop) wantPasses(t *testing.T, when string, want int64) {
	t.Helper()
	synctest.Wait()
	if got := l.cat.passes.Load(); got != want {
		t.Fatalf("%s: %d passes, want %d", when, got, want)
	}
}

func TestKicksCoalesce(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	synctest.Test(t, func(t *testing.T) {
		l := startKickLoop(t, f, &gatedCatalog{}, nil)
		l.wantPasses(t, "at start", 1)
		for range 100 {
			l.r.Kick()
		}
		l.wantPasses(t, "right after 100 kicks (the kick delay has not passed)", 1)
		time.Sleep(3 * time.Second)
		l.wantPasses(t, "3s after 100 kicks", 2)
		time.Sleep(5 * time.Minute)
		l.wantPasses(t, "5 minutes later, with no kick", 2)
		time.Sleep(5 * time.Minute)
		l.wantPasses(t, "after the interval", 3)
	})
}

func TestKickDuringPassCausesExactlyOneMore(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	synctest.Test(t, func(t *testing.T) {
		cat := &gatedCatalog{hold: make(chan struct{})}
		l := startKickLoop(t, f, cat, nil)
		synctest.Wait()
		if !l.r.Status().Running {
			t.Fatal("the first pass is not running while its catalog is held")
		}
		for range 5 {
			l.r.Kick()
		}
		close(cat.hold)
		l.wantPasses(t, "first pass released", 1)
		time.Sleep(3 * time.Second)
		l.wantPasses(t, "after the kick delay", 2)
		time.Sleep(time.Minute)
		l.wantPasses(t, "a minute later", 2)
	})
}

// TestKickStormIsCheap: a kick every 100ms for a minute, with passes lasting 5s, runs a pass
// at most every max(KickDelay, pass duration) after the last one ended.
func TestKickStormIsCheap(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	synctest.Test(t, func(t *testing.T) {
		l := startKickLoop(t, f, &gatedCatalog{lasting: 5 * time.Second}, nil)
		start := time.Now()
		for time.Since(start) < time.Minute {
			l.r.Kick()
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		// Each pass is 5s plus a 5s wait: 6 passes in a minute (the first at 0s).
		if got := l.cat.passes.Load(); got < 5 || got > 7 {
			t.Fatalf("%d passes in a minute of kicks, want about 6 (half the time busy)", got)
		}
	})
}

func TestKickBeforeAndAfterRunIsHarmless(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	synctest.Test(t, func(t *testing.T) {
		cat := &gatedCatalog{}
		l := startKickLoop(t, f, cat, nil)
		l.r.Kick() // before the first pass: served by it
		l.wantPasses(t, "at start", 1)
		time.Sleep(time.Minute)
		l.wantPasses(t, "a minute later", 1)
		l.stop()
		for range 3 {
			l.r.Kick() // no loop: must not block or start anything
		}
		time.Sleep(time.Hour)
		l.wantPasses(t, "an hour after Stop", 1)
	})
}

// TestFirstPassWaitsForReady: until Ready passes there is no pass and the status says so.
func TestFirstPassWaitsForReady(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	synctest.Test(t, func(t *testing.T) {
		var ready atomic.Bool
		var asked atomic.Int64
		l := startKickLoop(t, f, &gatedCatalog{}, func(c *Config) {
			c.Ready = func(context.Context) error {
				asked.Add(1)
				if !ready.Load() {
					return errors.New("replica behind the leader")
				}
				return nil
			}
		})
		time.Sleep(30 * time.Second)
		l.wantPasses(t, "while not ready", 0)
		if st := l.r.Status(); !st.Measured.IsZero() {
			t.Fatalf("status measured at %v before any pass", st.Measured)
		}
		if n := asked.Load(); n < 3 || n > 10 {
			t.Fatalf("Ready asked %d times in 30s, want a backoff of a few tries", n)
		}
		ready.Store(true)
		l.r.Kick() // cuts the backoff short
		l.wantPasses(t, "once ready and kicked", 1)
		if st := l.r.Status(); st.Measured.IsZero() {
			t.Fatal("status not measured after the first pass")
		}
	})
}

// TestKickKeepsGrace: kicks do not rebuild the shard of a holder that is down within its grace
// period: the stripe stays pending and the shard is nowhere else.
func TestKickKeepsGrace(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 64<<10)
	shard := m.Stripes[0].Shards[1]
	victim := f.net.holders(shard)[0]
	synctest.Test(t, func(t *testing.T) {
		f.t = t
		f.net.setDown(victim, true)
		var loops []*kickLoop
		for _, n := range f.nodes {
			if n.ID != victim {
				loops = append(loops, startKickLoopOn(t, f, n.ID, &gatedCatalog{}, nil))
			}
		}
		for range 3 {
			for _, l := range loops {
				l.r.Kick()
			}
			time.Sleep(time.Minute)
		}
		synctest.Wait()
		pending := 0
		for _, l := range loops {
			pending += l.r.Status().Last.Pending
		}
		if hs := f.net.holders(shard); len(hs) != 1 || hs[0] != victim || pending == 0 {
			t.Fatalf("within grace after kicks: the down holder's shard is on %v, %d stripes pending; want it only on %s and the stripe pending", hs, pending, victim)
		}
	})
}
