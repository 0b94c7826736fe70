package consensus

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPropose measures commits per second and commit latency on 3 voters over libp2p on
// loopback with bbolt (fsync on), with many concurrent proposers, at the leader and through a
// follower that forwards. Run: go test -run XXX -bench Propose -benchtime 20000x ./consensus/
func BenchmarkPropose(b *testing.B) {
	for _, via := range []string{"leader", "follower"} {
		for _, workers := range []int{16, 256} {
			b.Run(fmt.Sprintf("via=%s/proposers=%d", via, workers), func(b *testing.B) {
				benchPropose(b, via == "follower", workers)
			})
		}
	}
}

func benchPropose(b *testing.B, viaFollower bool, workers int) {
	c := newCluster(b, 3, 0, nil)
	ctx := c.ctx(10 * time.Minute)
	n := c.nodes[0].node
	if viaFollower {
		for _, tn := range c.nodes {
			if !tn.node.IsLeader() {
				n = tn.node
				break
			}
		}
	}
	cmd := putCmd("key", "a value the size of a small catalog command, about a hundred bytes....")
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				t0 := time.Now()
				if _, err := n.Propose(ctx, cmd); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d proposals failed, the first with: %v", f, b.N, firstErr.Load())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkLinearizableRead measures read-index round trips on 3 voters, at the leader and
// at a follower, with 64 concurrent readers.
// Run: go test -run XXX -bench LinearizableRead -benchtime 5000x ./consensus/
func BenchmarkLinearizableRead(b *testing.B) {
	for _, via := range []string{"leader", "follower"} {
		b.Run("via="+via, func(b *testing.B) {
			c := newCluster(b, 3, 0, nil)
			ctx := c.ctx(10 * time.Minute)
			n := c.nodes[0].node
			for _, tn := range c.nodes {
				if tn.node.IsLeader() == (via == "leader") {
					n = tn.node
					break
				}
			}
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 64 {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := n.LinearizableRead(ctx); err != nil {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d reads failed", f)
			}
		})
	}
}
