package p2p

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/p2p/fetch"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// Benchmarks run over real TCP on 127.0.0.1 with the federation key, noise and yamux:
//
//	go test -run '^$' -bench . -benchtime 20x ./p2p/

// benchStore keeps blocks without copying or re-hashing them, so benchmarks measure the
// protocol (which hashes every received shard) rather than the store.
type benchStore struct {
	*fakestore.Store
	mu     sync.Mutex
	blocks map[cid.Cid][]byte
	slow   map[cid.Cid]time.Duration // added to a Get of these blocks: a slow host
}

func newBenchStore() *benchStore {
	return &benchStore{Store: fakestore.New(), blocks: map[cid.Cid][]byte{}}
}

func (s *benchStore) Put(_ context.Context, c cid.Cid, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks[c] = bytes.Clone(b) // the Store contract: Put keeps no reference to b
	return nil
}

func (s *benchStore) Get(ctx context.Context, c cid.Cid) ([]byte, error) {
	if d := s.slow[c]; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[c], nil
}

func (s *benchStore) Stat(_ context.Context, c cid.Cid) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.blocks[c])), nil
}

// benchFederation starts n connected member nodes on loopback with bench stores.
func benchFederation(b *testing.B, n int) ([]*Node, []*benchStore) {
	psk := mustPSK(b)
	members := NewStaticMembership()
	var nodes []*Node
	var stores []*benchStore
	for range n {
		s := newBenchStore()
		nd := newTestNode(b, nodeOpts{psk: psk, members: members, store: s})
		members.Add(nd.Host().ID())
		nodes, stores = append(nodes, nd), append(stores, s)
	}
	for _, nd := range nodes[1:] {
		if err := nodes[0].Connect(testCtx(b), addrInfo(nd)); err != nil {
			b.Fatal(err)
		}
	}
	return nodes, stores
}

func randomShard(seed, size int) ([]byte, cid.Cid) {
	data := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		data[i] = byte(seed)
		data[i+1] = byte(seed >> 8)
		data[i+2] = byte(seed >> 16)
	}
	return data, fakestore.CID(data)
}

const rawID = "/meridian/bench/raw/1.0.0"

// BenchmarkTransfer compares a raw libp2p stream (one stream per transfer, like the shard
// protocol) with shard PUT and GET of the same size.
func BenchmarkTransfer(b *testing.B) {
	for _, size := range []int{1 << 20, 4 << 20} {
		nodes, stores := benchFederation(b, 2)
		a, z := nodes[0], nodes[1].Host().ID()
		payload, c := randomShard(1, size)
		rawServe(nodes[1], payload)
		b.Run(fmt.Sprintf("raw-write/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				rawWrite(b, a, z, payload)
			}
		})
		b.Run(fmt.Sprintf("raw-read/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				rawRead(b, a, z, size)
			}
		})
		b.Run(fmt.Sprintf("shard-put/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := a.Shards().PutShard(testCtx(b), z, c, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = stores[1].Put(context.Background(), c, payload)
		b.Run(fmt.Sprintf("shard-get/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := a.Shards().GetShard(testCtx(b), z, c, 0, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTransferInterleaved runs raw write, shard PUT, raw read and shard GET of 1 MiB
// in turn inside each iteration, so that a shared machine's changing load hits all four
// alike, and reports each one's MB/s and the shard/raw ratios.
func BenchmarkTransferInterleaved(b *testing.B) {
	const size = 1 << 20
	nodes, stores := benchFederation(b, 2)
	a, z := nodes[0], nodes[1].Host().ID()
	payload, c := randomShard(3, size)
	_ = stores[1].Put(context.Background(), c, payload)
	rawServe(nodes[1], payload)
	var took [4]time.Duration
	ops := []func(){
		func() { rawWrite(b, a, z, payload) },
		func() {
			if err := a.Shards().PutShard(testCtx(b), z, c, payload); err != nil {
				b.Fatal(err)
			}
		},
		func() { rawRead(b, a, z, size) },
		func() {
			if _, err := a.Shards().GetShard(testCtx(b), z, c, 0, 0); err != nil {
				b.Fatal(err)
			}
		},
	}
	for b.Loop() {
		for i, op := range ops {
			t := time.Now()
			op()
			took[i] += time.Since(t)
		}
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * size / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(took[0]), "raw-write-MB/s")
	b.ReportMetric(mbps(took[1]), "put-MB/s")
	b.ReportMetric(mbps(took[2]), "raw-read-MB/s")
	b.ReportMetric(mbps(took[3]), "get-MB/s")
	b.ReportMetric(took[0].Seconds()/took[1].Seconds(), "put/raw")
	b.ReportMetric(took[2].Seconds()/took[3].Seconds(), "get/raw")
}

func rawServe(n *Node, payload []byte) {
	n.Host().SetStreamHandler(rawID, func(s network.Stream) {
		defer s.Close()
		if _, err := io.Copy(io.Discard, s); err == nil {
			_, _ = s.Write([]byte{1})
		}
	})
	n.Host().SetStreamHandler(rawID+"/get", func(s network.Stream) {
		defer s.Close()
		_, _ = s.Write(payload)
	})
}

// rawWrite sends payload on a new stream and waits for a one-byte acknowledgement.
func rawWrite(b *testing.B, a *Node, z peer.ID, payload []byte) {
	s, err := a.Host().NewStream(testCtx(b), z, rawID)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(payload); err != nil {
		b.Fatal(err)
	}
	_ = s.CloseWrite()
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		b.Fatal(err)
	}
}

// rawRead reads size bytes from a new stream.
func rawRead(b *testing.B, a *Node, z peer.ID, size int) {
	s, err := a.Host().NewStream(testCtx(b), z, rawID+"/get")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := io.ReadFull(s, make([]byte, size)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoundTrip compares a small request on a fresh stream per request (what the shard
// client does) with a ping-pong on one reused stream.
func BenchmarkRoundTrip(b *testing.B) {
	nodes, _ := benchFederation(b, 2)
	a, z := nodes[0], nodes[1].Host().ID()
	_, c := randomShard(2, 100)
	b.Run("stream-per-request/has", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Shards().HasShards(testCtx(b), z, []cid.Cid{c}); err != nil {
				b.Fatal(err)
			}
		}
	})
	nodes[1].Host().SetStreamHandler(rawID+"/echo", func(s network.Stream) {
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	b.Run("reused-stream/echo", func(b *testing.B) {
		s, err := a.Host().NewStream(testCtx(b), z, rawID+"/echo")
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		msg := make([]byte, 64)
		for b.Loop() {
			if _, err := s.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(s, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFanout sends one stripe's 5 shards of 1 MiB to 5 hosts in parallel.
func BenchmarkFanout(b *testing.B) {
	nodes, _ := benchFederation(b, 6)
	const size = 1 << 20
	shards := make([][]byte, 5)
	cids := make([]cid.Cid, 5)
	for i := range shards {
		shards[i], cids[i] = randomShard(10+i, size)
	}
	b.SetBytes(5 * size)
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				if err := nodes[0].Shards().PutShard(testCtx(b), nodes[1+i].Host().ID(), cids[i], shards[i]); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkFetch reads k=3 of a stripe's 5 shards of 1 MiB, one shard per host, from 5
// hosts. Each iteration reads, in turn: stripe A (all hosts fast); stripe B, whose shard 0
// host answers after 200 ms, with a fetcher that keeps its statistics ("warm", as a node
// does); stripe B with a fresh fetcher ("cold", so hedging alone must save it); and stripe B
// with a fresh fetcher that asks one spare holder from the start. Timing them in the same
// iteration keeps a shared machine's load changes out of the ratios.
func BenchmarkFetch(b *testing.B) {
	const size, slow = 1 << 20, 200 * time.Millisecond
	nodes, stores := benchFederation(b, 6)
	stripeOn := func(seed int) ([]cid.Cid, [][]peer.ID) {
		cids := make([]cid.Cid, 5)
		holders := make([][]peer.ID, 5)
		for i := range cids {
			var data []byte
			data, cids[i] = randomShard(seed+i, size)
			_ = stores[1+i].Put(context.Background(), cids[i], data)
			holders[i] = []peer.ID{nodes[1+i].Host().ID()}
		}
		return cids, holders
	}
	cidsA, holdersA := stripeOn(100)
	cidsB, holdersB := stripeOn(200)
	stores[1].slow = map[cid.Cid]time.Duration{cidsB[0]: slow}
	fA := fetch.New(nodes[0].Shards(), nil, fetch.Config{})
	fB := fetch.New(nodes[0].Shards(), nil, fetch.Config{})
	var took [4]time.Duration
	var gets, hedges int64
	read := func(i int, f *fetch.Fetcher, cids []cid.Cid, holders [][]peer.ID) {
		t := time.Now()
		if _, err := f.FetchStripe(testCtx(b), cids, holders, 3); err != nil {
			b.Fatal(err)
		}
		took[i] += time.Since(t)
	}
	for b.Loop() {
		read(0, fA, cidsA, holdersA)
		read(1, fB, cidsB, holdersB)
		cold := fetch.New(nodes[0].Shards(), nil, fetch.Config{})
		read(2, cold, cidsB, holdersB)
		g, h := cold.Counts()
		gets, hedges = gets+g, hedges+h
		read(3, fetch.New(nodes[0].Shards(), nil, fetch.Config{Spare: 1}), cidsB, holdersB)
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * 3 * size / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(took[0]), "fast-MB/s")
	b.ReportMetric(mbps(took[1]), "slow-warm-MB/s")
	b.ReportMetric(mbps(took[2]), "slow-cold-MB/s")
	b.ReportMetric(took[0].Seconds()/took[1].Seconds(), "warm/fast")
	b.ReportMetric(took[0].Seconds()/took[2].Seconds(), "cold/fast")
	b.ReportMetric(took[0].Seconds()/took[3].Seconds(), "cold-spare1/fast")
	wg, wh := fB.Counts()
	b.ReportMetric(float64(wg)/float64(b.N), "warm-gets/op")
	b.ReportMetric(float64(wh)/float64(b.N), "warm-hedges/op")
	b.ReportMetric(float64(gets)/float64(b.N), "cold-gets/op")
	b.ReportMetric(float64(hedges)/float64(b.N), "cold-hedges/op")
}

// BenchmarkProvide measures provider records announced per second through the background
// queue in a 5-node federation DHT.
func BenchmarkProvide(b *testing.B) {
	nodes, _ := benchFederation(b, 5)
	for _, n := range nodes {
		if err := n.DHT().Bootstrap(testCtx(b)); err != nil {
			b.Fatal(err)
		}
	}
	eventually(b, "routing tables filled", func() bool { return nodes[0].DHT().RoutingTable().Size() >= 4 })
	p := nodes[0]
	start := time.Now()
	base := p.provider.Completed()
	var n int64
	for b.Loop() {
		_, c := randomShard(int(1000+n), 64)
		for p.provider.Pending() >= p.cfg.ProvideQueue {
			time.Sleep(time.Millisecond) // queue full: the benchmark waits (a PUT would drop the oldest)
		}
		p.Provide(c)
		n++
	}
	eventually(b, "all announced", func() bool { return p.provider.Completed()-base >= n })
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkProviderLookup measures one provider lookup (the finder a stripe read uses when a
// holder lacks a shard) in a 5-node federation DHT, for a shard with one provider.
func BenchmarkProviderLookup(b *testing.B) {
	nodes, _ := benchFederation(b, 5)
	for _, n := range nodes {
		if err := n.DHT().Bootstrap(testCtx(b)); err != nil {
			b.Fatal(err)
		}
	}
	eventually(b, "routing tables filled", func() bool { return nodes[0].DHT().RoutingTable().Size() >= 4 })
	_, c := randomShard(7, 64)
	nodes[3].Provide(c)
	eventually(b, "announced", func() bool { return nodes[3].provider.Completed() >= 1 })
	f := newFinder(nodes[0].DHT())
	for b.Loop() {
		provs, err := f.FindProviders(testCtx(b), c)
		if err != nil || len(provs) != 1 {
			b.Fatalf("providers %v, %v", provs, err)
		}
	}
}
