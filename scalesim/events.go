package scalesim

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
)

// countQueries returns a context under which the DHT reports its query events, and a stop
// function that ends the reporting and returns how many DHT requests (routing.SendingQuery:
// one FIND_NODE or GET_PROVIDERS message to one peer each) were sent under it.
func countQueries(ctx context.Context) (context.Context, func() int) {
	ctx, cancel := context.WithCancel(ctx)
	ectx, ch := routing.RegisterForQueryEvents(ctx)
	done := make(chan int, 1)
	go func() { // owned by the stop function: it ends when cancel closes ch
		n := 0
		for ev := range ch {
			if ev.Type == routing.SendingQuery {
				n++
			}
		}
		done <- n
	}()
	return ectx, func() int { cancel(); return <-done }
}

// Timing is a distribution of durations.
type Timing struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

// TimingOf summarises ds.
func TimingOf(ds []time.Duration) Timing {
	if len(ds) == 0 {
		return Timing{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Timing{N: len(s), P50: s[len(s)/2], P99: s[(len(s)*99)/100], Max: s[len(s)-1]}
}

// countingFinder is the fetcher's provider lookup (the federation DHT, as p2p gives it to
// the fetcher) with each call counted and timed.
type countingFinder struct {
	d     *dht.IpfsDHT
	first bool // stop at the first provider (FindProvidersAsync with count 1)

	mu       sync.Mutex
	lookups  int             // guarded by mu
	messages int             // guarded by mu
	times    []time.Duration // guarded by mu
}

func (f *countingFinder) FindProviders(ctx context.Context, c cid.Cid) ([]peer.AddrInfo, error) {
	ectx, stop := countQueries(ctx)
	start := time.Now()
	provs, err := f.find(ectx, c)
	took := time.Since(start)
	n := stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	f.messages += n
	f.times = append(f.times, took)
	return provs, err
}

func (f *countingFinder) find(ctx context.Context, c cid.Cid) ([]peer.AddrInfo, error) {
	if !f.first {
		return f.d.FindProviders(ctx, c)
	}
	var out []peer.AddrInfo
	for ai := range f.d.FindProvidersAsync(ctx, c, 1) {
		out = append(out, ai)
	}
	return out, ctx.Err()
}

func (f *countingFinder) counts() (lookups, messages int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups, f.messages
}

// timing summarises the durations of the lookups so far.
func (f *countingFinder) timing() Timing {
	f.mu.Lock()
	defer f.mu.Unlock()
	return TimingOf(f.times)
}
