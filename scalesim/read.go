package scalesim

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/fetch"
	"github.com/meridian-fed/meridian/p2p/shardproto"
	"github.com/meridian-fed/meridian/placement"
)

// readTimeout bounds one stripe read; a mocknet read takes milliseconds.
const readTimeout = 30 * time.Second

// LookupStats is the cost of FindProviders over the federation DHT.
type LookupStats struct {
	Lookups  int     `json:"lookups"`
	Found    int     `json:"found"`    // lookups whose answer named the shard's holder
	Messages float64 `json:"messages"` // GET_PROVIDERS requests per lookup
	Time     Timing  `json:"time"`
}

// ReadStats is the cost of reading every stripe once through the fetcher.
type ReadStats struct {
	Reads          int     `json:"reads"`
	Failed         int     `json:"failed"`
	Requests       float64 `json:"requests"`        // shard requests per read (k when nothing moved)
	Hedges         float64 `json:"hedges"`          // of which hedges: started because another was slow
	Lookups        float64 `json:"lookups"`         // FindProviders calls per read
	LookupMessages float64 `json:"lookup_messages"` // DHT requests per read
	WithLookup     int     `json:"with_lookup"`     // reads that needed the DHT
	Time           Timing  `json:"time"`
}

// read measures direct lookups of the moved shards and reads of every stripe from the reader
// (the last host) under the placement after the joins.
func (r *DHTReport) read(ctx context.Context, m *mesh, s *stripes, after Layout, all []placement.Node, p placement.Policy) error {
	reader := len(m.hosts) - 1
	r.Lookup = lookups(ctx, &countingFinder{d: m.dhts[reader]}, s, after)
	r.LookupFirst = lookups(ctx, &countingFinder{d: m.dhts[reader], first: true}, s, after)
	pl, err := placement.NewPlan(all, p)
	if err != nil {
		return err
	}
	client := shardproto.NewClient(m.hosts[reader], shardproto.Limits{})
	defer client.Close()
	self := m.hosts[reader].ID()
	placed := func(st int) [][]peer.ID { return candidates(after.Holders[st], nil) }
	ranked := func(st int) [][]peer.ID { return candidates(after.Holders[st], pl.Ranked(s.keys[st])) }
	if r.PlacedReads, err = reads(ctx, client, &countingFinder{d: m.dhts[reader]}, self, s, p.K, placed); err != nil {
		return err
	}
	r.RankedReads, err = reads(ctx, client, &countingFinder{d: m.dhts[reader]}, self, s, p.K, ranked)
	return err
}

// lookups asks the DHT for the providers of every shard whose placement holder changed.
func lookups(ctx context.Context, f *countingFinder, s *stripes, after Layout) LookupStats {
	var out LookupStats
	for st, hs := range s.layout.Holders {
		for i, h := range hs {
			if after.Holders[st][i] == h {
				continue
			}
			lctx, cancel := context.WithTimeout(ctx, readTimeout)
			provs, _ := f.FindProviders(lctx, s.cids[st][i])
			cancel()
			if slices.ContainsFunc(provs, func(ai peer.AddrInfo) bool { return ai.ID.String() == h }) {
				out.Found++
			}
		}
	}
	n, msgs := f.counts()
	out.Lookups, out.Time = n, f.timing()
	out.Messages = float64(msgs) / float64(max(n, 1))
	return out
}

// candidates is the fetcher's candidate list per shard: the placement holder, then (when
// ranked is given) every other node in rank order, as node/fetch.go builds it.
func candidates(assigned []string, ranked []placement.Node) [][]peer.ID {
	out := make([][]peer.ID, len(assigned))
	for i, a := range assigned {
		first, _ := peer.Decode(a)
		out[i] = append(out[i], first)
		for _, n := range ranked {
			if id, err := peer.Decode(n.ID); err == nil && id != first {
				out[i] = append(out[i], id)
			}
		}
	}
	return out
}

// reads reads every stripe once through a fresh fetcher with the given candidate lists.
func reads(ctx context.Context, client *shardproto.Client, f *countingFinder, self peer.ID, s *stripes, k int, holders func(int) [][]peer.ID) (ReadStats, error) {
	fe := fetch.New(client, f, fetch.Config{Self: self, ShardSize: 4 << 10})
	var out ReadStats
	var times []time.Duration
	for st := range s.cids {
		if err := ctx.Err(); err != nil {
			return out, errs.E("scalesim.reads", errs.Unavailable, err)
		}
		before, _ := f.counts()
		rctx, cancel := context.WithTimeout(ctx, readTimeout)
		start := time.Now()
		_, err := fe.FetchStripe(rctx, s.cids[st], holders(st), k)
		times = append(times, time.Since(start))
		cancel()
		if err != nil {
			out.Failed++
		}
		if n, _ := f.counts(); n > before {
			out.WithLookup++
		}
	}
	attempts, hedges := fe.Counts()
	n, msgs := f.counts()
	out.Reads = len(s.cids)
	reads := float64(max(out.Reads, 1))
	out.Requests, out.Hedges = float64(attempts)/reads, float64(hedges)/reads
	out.Lookups, out.LookupMessages = float64(n)/reads, float64(msgs)/reads
	out.Time = TimingOf(times)
	return out, nil
}
