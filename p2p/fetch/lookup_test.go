package fetch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestProvidersComeBeforeFallbacks: when a shard's computed holder answers "not here", the
// fetcher asks the DHT and goes to the announced provider, not through the XOR fallbacks
// (each a guess costing a round trip), and counts the lookup and the shard it found.
func TestProvidersComeBeforeFallbacks(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 1)
	moved := peer.ID("moved")
	delete(net.data["p0"], cids[0])
	net.put(moved, cids[0], data[0])
	net.provs[cids[0]] = []peer.ID{moved}
	var fallbacks []peer.ID
	for i := range 5 {
		fallbacks = append(fallbacks, peer.ID(fmt.Sprintf("fallback%d", i)))
	}
	holders[0] = append(holders[0], fallbacks...)
	f := New(net, net, Config{LookupWait: 10 * time.Second}) // the order, not the wait's cap, is tested here
	got, err := f.FetchStripe(testCtx(t), cids, holders, 1)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 1)
	net.mu.Lock()
	for _, p := range fallbacks {
		if net.calls[p] != 0 {
			t.Errorf("fallback %s asked before the provider the DHT named", p)
		}
	}
	net.mu.Unlock()
	if lookups, fetched := f.LookupCounts(); lookups != 1 || fetched != 1 {
		t.Fatalf("lookups %d, fetched through them %d; want 1 and 1", lookups, fetched)
	}
}

// TestNoLookupWhenHoldersHaveTheShards: a read whose computed holders answer costs no DHT
// lookup.
func TestNoLookupWhenHoldersHaveTheShards(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	f := New(net, net, Config{})
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
	if lookups, _ := f.LookupCounts(); lookups != 0 {
		t.Fatalf("%d lookups with every holder answering", lookups)
	}
}

// stuckFinder never answers before its context ends: a DHT that does not respond.
type stuckFinder struct{}

func (stuckFinder) FindProviders(ctx context.Context, _ cid.Cid) ([]peer.AddrInfo, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestSlowLookupDoesNotStallTheRead: a shard whose holder lacks it waits for its lookup only
// LookupWait, then goes on to its fallbacks; a DHT that hangs costs the read that much, not
// FindTimeout.
func TestSlowLookupDoesNotStallTheRead(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 1)
	delete(net.data["p0"], cids[0])
	net.put("fallback", cids[0], data[0])
	holders[0] = append(holders[0], "fallback")
	f := New(net, stuckFinder{}, Config{FindTimeout: 5 * time.Second, LookupWait: 50 * time.Millisecond})
	start := time.Now()
	got, err := f.FetchStripe(testCtx(t), cids, holders, 1)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 1)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("read took %v with a hung DHT; the shard should have waited only LookupWait", d)
	}
}
