package p2p

import (
	"context"
	"sync/atomic"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// lookupWant is how many providers a lookup waits for before it stops: a reader needs one
// holder of a shard, a few cover a holder that is down.
const lookupWant = 3

// asyncFinder is the part of the DHT a lookup uses.
type asyncFinder interface {
	FindProvidersAsync(ctx context.Context, c cid.Cid, count int) <-chan peer.AddrInfo
}

// finder looks up providers of a shard in the federation DHT for the stripe fetcher,
// stopping at lookupWant providers (the DHT's own FindProviders walks on until the query
// is exhausted), and counts lookups and lookups that found someone.
type finder struct {
	d             asyncFinder
	lookups, hits atomic.Int64
}

func newFinder(d asyncFinder) *finder { return &finder{d: d} }

// FindProviders implements fetch.Finder.
func (f *finder) FindProviders(ctx context.Context, c cid.Cid) ([]peer.AddrInfo, error) {
	f.lookups.Add(1)
	var out []peer.AddrInfo
	for ai := range f.d.FindProvidersAsync(ctx, c, lookupWant) {
		out = append(out, ai)
	}
	if len(out) > 0 {
		f.hits.Add(1)
		return out, nil
	}
	return nil, ctx.Err()
}

// registerLookupMetrics exports the finder's and the fetcher's counts of provider lookups.
func (n *Node) registerLookupMetrics() {
	reg := n.cfg.Registerer
	if reg == nil {
		return
	}
	cf := func(name, help string, f func() int64) {
		_ = reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f()) }))
	}
	cf("meridian_p2p_provider_lookups_total", "Provider lookups in the federation DHT by stripe reads (a holder placement named lacked a shard).", n.finder.lookups.Load)
	cf("meridian_p2p_provider_lookup_found_total", "Provider lookups that found at least one provider.", n.finder.hits.Load)
	cf("meridian_p2p_provider_fetched_total", "Shards a stripe read fetched from a holder it learned from a provider lookup.", func() int64 {
		_, fetched := n.fetcher.LookupCounts()
		return fetched
	})
}
