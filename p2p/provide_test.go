package p2p

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// dhtFederation starts n member nodes on loopback, each serving from its own fake store, all
// connected to node 0 and with the DHT's routing tables filled.
func dhtFederation(t *testing.T, n int) ([]*Node, []*fakestore.Store) {
	t.Helper()
	psk := mustPSK(t)
	members := NewStaticMembership()
	var nodes []*Node
	var stores []*fakestore.Store
	for range n {
		s := fakestore.New()
		nd := newTestNode(t, nodeOpts{psk: psk, members: members, store: s})
		members.Add(nd.Host().ID())
		nodes, stores = append(nodes, nd), append(stores, s)
	}
	for _, nd := range nodes[1:] {
		if err := nd.Connect(testCtx(t), addrInfo(nodes[0])); err != nil {
			t.Fatal(err)
		}
	}
	for _, nd := range nodes {
		eventually(t, "routing tables filled", func() bool {
			_ = nd.DHT().Bootstrap(testCtx(t))
			return nd.DHT().RoutingTable().Size() >= n-1
		})
	}
	return nodes, stores
}

// TestStoredShardIsFoundThroughTheDHT: a shard PUT to a node other than the one placement
// names is announced by the node that stored it, and a stripe read whose only computed
// holder lacks the shard finds it through a provider lookup.
func TestStoredShardIsFoundThroughTheDHT(t *testing.T) {
	nodes, stores := dhtFederation(t, 4)
	reader, holder, hider := nodes[0], nodes[1], nodes[3]
	data := bytes.Repeat([]byte("moved by a detour "), 1000)
	c := fakestore.CID(data)
	if err := reader.Shards().PutShard(testCtx(t), hider.Host().ID(), c, data); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hider's announcement", func() bool { return hider.provider.Completed() >= 1 })
	if ok, _ := stores[1].Has(testCtx(t), c); ok {
		t.Fatal("the computed holder has the shard; the test would not need the DHT")
	}
	got, err := reader.Fetcher().FetchStripe(testCtx(t), []cid.Cid{c}, [][]peer.ID{{holder.Host().ID()}}, 1)
	if err != nil {
		t.Fatalf("read with the computed holder lacking the shard: %v", err)
	}
	if !bytes.Equal(got[0], data) {
		t.Fatal("shard differs")
	}
	lookups, fetched := reader.Fetcher().LookupCounts()
	if lookups != 1 || fetched != 1 {
		t.Fatalf("lookups %d, shards fetched from a looked-up provider %d; want 1 and 1", lookups, fetched)
	}
	if reader.finder.hits.Load() != 1 {
		t.Fatalf("finder hits %d, want 1", reader.finder.hits.Load())
	}
}

// TestRejoinedNodeAnnouncesWhatItHolds: blocks already in a node's store when it connects
// (a node that was away) are announced by the sweep Connect starts.
func TestRejoinedNodeAnnouncesWhatItHolds(t *testing.T) {
	psk := mustPSK(t)
	members := NewStaticMembership()
	held := fakestore.New()
	data := []byte("held while away")
	c := fakestore.CID(data)
	if err := held.Put(testCtx(t), c, data); err != nil {
		t.Fatal(err)
	}
	a := newTestNode(t, nodeOpts{psk: psk, members: members, store: fakestore.New()})
	b := newTestNode(t, nodeOpts{psk: psk, members: members, store: held})
	members.Add(a.Host().ID())
	members.Add(b.Host().ID())
	if err := b.Connect(testCtx(t), addrInfo(a)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sweep's announcement", func() bool { return b.provider.Completed() >= 1 })
	provs, err := newFinder(a.DHT()).FindProviders(testCtx(t), c)
	if err != nil || len(provs) != 1 || provs[0].ID != b.Host().ID() {
		t.Fatalf("providers %v, %v; want %s", provs, err, b.Host().ID())
	}
}

// recordingProvider records announcements; block holds the first one until released.
type recordingProvider struct {
	mu    sync.Mutex
	got   []cid.Cid
	block chan struct{}
}

func (r *recordingProvider) Provide(ctx context.Context, c cid.Cid, _ bool) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, c)
	return nil
}

func (r *recordingProvider) count(c cid.Cid) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, g := range r.got {
		if g == c {
			n++
		}
	}
	return n
}

func TestForgottenCIDIsNotAnnounced(t *testing.T) {
	rp := &recordingProvider{block: make(chan struct{})}
	p := NewProvider(rp, ProviderConfig{Workers: 1, Rate: rate.Inf}, nil, nil)
	defer p.Close()
	first, gone, kept := fakestore.CID([]byte("1")), fakestore.CID([]byte("2")), fakestore.CID([]byte("3"))
	p.Enqueue(first)
	eventually(t, "the worker takes the first CID", func() bool { return p.Pending() == 0 })
	p.Enqueue(gone)
	p.Enqueue(kept)
	p.Forget(gone)
	close(rp.block)
	eventually(t, "announcements", func() bool { return p.Completed() == 2 })
	if rp.count(gone) != 0 || rp.count(kept) != 1 || rp.count(first) != 1 {
		t.Fatalf("announced %v; the forgotten CID must not be among them", rp.got)
	}
}

func TestProviderIsRateLimited(t *testing.T) {
	rp := &recordingProvider{}
	p := NewProvider(rp, ProviderConfig{Workers: 4, Rate: 20, Burst: 1}, nil, nil)
	defer p.Close()
	start := time.Now()
	for i := range 11 {
		p.Enqueue(fakestore.CID([]byte{byte(i)}))
	}
	eventually(t, "announcements", func() bool { return p.Completed() == 11 })
	if d := time.Since(start); d < 450*time.Millisecond { // 10 after the burst at 20/s
		t.Fatalf("11 announcements at 20/s with a burst of 1 took %v", d)
	}
}

// TestReprovideSweepsWhatIsHeld: every interval the sweep announces each held block again,
// and a block deleted from the store is not announced any more.
func TestReprovideSweepsWhatIsHeld(t *testing.T) {
	rp := &recordingProvider{}
	p := NewProvider(rp, ProviderConfig{Rate: rate.Inf}, nil, nil)
	defer p.Close()
	s := fakestore.New()
	kept, gone := []byte("kept"), []byte("deleted")
	for _, b := range [][]byte{kept, gone} {
		if err := s.Put(context.Background(), fakestore.CID(b), b); err != nil {
			t.Fatal(err)
		}
	}
	r := startReprovider(s, p, 20*time.Millisecond, nil, nil, nil)
	defer r.close()
	eventually(t, "two sweeps", func() bool { return rp.count(fakestore.CID(kept)) >= 2 })
	if err := s.Delete(context.Background(), fakestore.CID(gone)); err != nil {
		t.Fatal(err)
	}
	before := rp.count(fakestore.CID(gone))
	base := rp.count(fakestore.CID(kept))
	eventually(t, "two more sweeps", func() bool { return rp.count(fakestore.CID(kept)) >= base+2 })
	if after := rp.count(fakestore.CID(gone)); after > before+1 { // one sweep may have been under way
		t.Fatalf("deleted block announced %d more times after its deletion", after-before)
	}
}
