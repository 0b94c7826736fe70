package scalesim

import (
	"context"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// DHTOptions set the DHT part of a run. The zero value of a field means its default.
type DHTOptions struct {
	Stripes    int // stripes stored and announced (default 100)
	Joins      int // nodes that join the placement membership before the reads (default 5)
	K, M       int // code (default 3+2)
	ShardBytes int // bytes per shard (default 4 KiB: the DHT cost does not depend on it)
	Workers    int // provides run at once (default 8)
	// Latency delays every write on every mocknet link (one way): 0 is instant, as on one
	// machine; tens of milliseconds stand for members on different continents.
	Latency time.Duration
}

func (o *DHTOptions) fill() {
	if o.Stripes == 0 {
		o.Stripes = 100
	}
	if o.Joins == 0 {
		o.Joins = 5
	}
	if o.K == 0 {
		o.K, o.M = 3, 2
	}
	if o.ShardBytes == 0 {
		o.ShardBytes = 4 << 10
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
}

// DHTReport is what the federation DHT cost over mocknet.
type DHTReport struct {
	Hosts   int `json:"hosts"` // members, joiners and the reader
	Stripes int `json:"stripes"`
	K       int `json:"k"`
	M       int `json:"m"`
	Joins   int `json:"joins"`
	// Latency is the one-way delay of every link.
	Latency time.Duration `json:"latency"`
	// Provides: one per stored shard, from its holder. Messages are the FIND_NODE requests of
	// the closest-peers walk; Records the ADD_PROVIDER records other hosts then store.
	Provides        int     `json:"provides"`
	ProvideMessages float64 `json:"provide_messages"` // FIND_NODE requests per provide
	ProvideRecords  float64 `json:"provide_records"`  // ADD_PROVIDER records stored per provide
	ProvideTime     Timing  `json:"provide_time"`
	// Moved is the number of shards whose placement-derived holder changed with the joins
	// (they still sit at their old holder: nothing was migrated).
	Moved int `json:"moved"`
	// Lookup is FindProviders, as the fetcher calls it, of every moved shard from the reader.
	Lookup LookupStats `json:"lookup"`
	// LookupFirst is the same lookup stopping at the first provider found (count 1).
	LookupFirst LookupStats `json:"lookup_first"`
	// Reads of every stripe through the real fetcher, with two candidate lists: the placement
	// holder of each shard only (the DHT finds the rest), and the node's own list (placement
	// holder, then every member in rank order, as node/fetch.go builds it).
	PlacedReads ReadStats `json:"placed_reads"`
	RankedReads ReadStats `json:"ranked_reads"`
}

// RunDHT stores and announces o.Stripes stripes over the members of f in a mocknet mesh, lets
// o.Joins nodes join the placement membership, and measures lookups and reads.
func RunDHT(ctx context.Context, f *Fed, o DHTOptions) (*DHTReport, error) {
	o.fill()
	p := placement.Policy{K: o.K, M: o.M}
	members := len(f.Nodes)
	all, keys, err := extend(f, o.Joins)
	if err != nil {
		return nil, err
	}
	m, err := newMesh(ctx, keys, o.Latency)
	if err != nil {
		return nil, err
	}
	defer m.close()
	r := &DHTReport{Hosts: len(keys), Stripes: o.Stripes, K: o.K, M: o.M, Joins: o.Joins, Latency: o.Latency}
	s, err := storeStripes(ctx, m, f, all[:members], p, o)
	if err != nil {
		return nil, err
	}
	if err := r.provide(ctx, m, s, o.Workers); err != nil {
		return nil, err
	}
	after, err := PlaceAll(all, p, s.keys)
	if err != nil {
		return nil, err
	}
	r.Moved = Moved(s.layout, after)
	return r, r.read(ctx, m, s, after, all, p)
}

// extend returns the members of f plus joins new nodes (spread over the members), and the
// keys of all of them plus one more host: the reader, which holds nothing.
func extend(f *Fed, joins int) ([]placement.Node, []crypto.PrivKey, error) {
	all := append([]placement.Node(nil), f.Nodes...)
	keys := append([]crypto.PrivKey(nil), f.Keys...)
	for j := range joins + 1 {
		like := f.Nodes[(j*7)%len(f.Nodes)]
		n, k, err := f.NewNode(like.Member, like.Region)
		if err != nil {
			return nil, nil, err
		}
		if j < joins {
			all = append(all, n)
		}
		keys = append(keys, k)
	}
	return all, keys, nil
}

// stripes are the stored stripes: keys, shard CIDs and where they were placed.
type stripes struct {
	keys   [][32]byte
	cids   [][]cid.Cid
	layout Layout
	host   map[string]int // peer ID string -> mesh index
}

// storeStripes places the stripes over members and puts every shard into its holder's store.
func storeStripes(ctx context.Context, m *mesh, f *Fed, members []placement.Node, p placement.Policy, o DHTOptions) (*stripes, error) {
	s := &stripes{keys: StripeKeys(o.Stripes, f.rng.Uint64()), host: map[string]int{}}
	for i, h := range m.hosts {
		s.host[h.ID().String()] = i
	}
	var err error
	if s.layout, err = PlaceAll(members, p, s.keys); err != nil {
		return nil, err
	}
	buf := make([]byte, o.ShardBytes)
	for _, hs := range s.layout.Holders {
		row := make([]cid.Cid, len(hs))
		for i, h := range hs {
			_, _ = readerOf(f.rng).Read(buf)
			row[i] = blockhash.Shard(buf)
			if err := m.stores[s.host[h]].Put(ctx, row[i], buf); err != nil {
				return nil, err
			}
		}
		s.cids = append(s.cids, row)
	}
	return s, nil
}

// provide announces every shard from its holder, o.Workers at a time.
func (r *DHTReport) provide(ctx context.Context, m *mesh, s *stripes, workers int) error {
	var mu sync.Mutex
	var times []time.Duration
	msgs := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for st, hs := range s.layout.Holders {
		for i, h := range hs {
			d, c := m.dhts[s.host[h]], s.cids[st][i]
			g.Go(func() error {
				ectx, stop := countQueries(gctx)
				start := time.Now()
				err := d.Provide(ectx, c, true)
				took, n := time.Since(start), stop()
				mu.Lock()
				defer mu.Unlock()
				msgs += n
				times = append(times, took)
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return errs.E("scalesim.provide", errs.Unavailable, err)
	}
	r.Provides = len(times)
	r.ProvideMessages = float64(msgs) / float64(max(r.Provides, 1))
	r.ProvideTime = TimingOf(times)
	recs, err := records(ctx, m, s)
	r.ProvideRecords = float64(recs) / float64(max(r.Provides, 1))
	return err
}

// records counts the provider records of the stored shards held by hosts other than the
// shard's holder: the ADD_PROVIDER messages that arrived.
func records(ctx context.Context, m *mesh, s *stripes) (int, error) {
	n := 0
	for st, hs := range s.layout.Holders {
		for i, h := range hs {
			holder, _ := peer.Decode(h)
			for j, d := range m.dhts {
				if j == s.host[h] {
					continue
				}
				provs, err := d.ProviderStore().GetProviders(ctx, s.cids[st][i].Hash())
				if err != nil {
					return n, errs.E("scalesim.records", errs.Internal, err)
				}
				for _, ai := range provs {
					if ai.ID == holder {
						n++
					}
				}
			}
		}
	}
	return n, nil
}
