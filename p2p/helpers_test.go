package p2p

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"

	"github.com/meridian-fed/meridian/store"
)

// nodeOpts describes one test node on 127.0.0.1.
type nodeOpts struct {
	psk      pnet.PSK // nil with insecure
	insecure bool
	members  Membership
	invites  Invites
	store    store.Store
	join     time.Duration
	kicks    func(peer.ID, Kick) // Config.Kicks
}

func newTestNode(t testing.TB, o nodeOpts) *Node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.PSK, cfg.Insecure = o.psk, o.insecure
	cfg.Membership, cfg.Invites, cfg.Store = o.members, o.invites, o.store
	cfg.Kicks = o.kicks
	if o.join > 0 {
		cfg.JoinDeadline = o.join
	}
	n, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func addrInfo(n *Node) peer.AddrInfo {
	return peer.AddrInfo{ID: n.Host().ID(), Addrs: n.Host().Addrs()}
}

// eventually waits for cond under a deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustPSK returns a new federation key.
func mustPSK(t testing.TB) pnet.PSK {
	k, err := GeneratePSK()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
