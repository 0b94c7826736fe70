package consensus

import (
	"context"
	"crypto/rand"
	"github.com/meridian-fed/meridian/errs"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// testGater admits only the cluster's peers, minus those blocked to simulate a partition.
type testGater struct {
	mu      sync.Mutex
	allowed map[peer.ID]bool // guarded by mu
	blocked map[peer.ID]bool // guarded by mu
}

func newTestGater() *testGater {
	return &testGater{allowed: map[peer.ID]bool{}, blocked: map[peer.ID]bool{}}
}

func (g *testGater) ok(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.allowed[p] && !g.blocked[p]
}

func (g *testGater) allow(p peer.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.allowed[p] = true
}

func (g *testGater) InterceptPeerDial(p peer.ID) bool                 { return g.ok(p) }
func (g *testGater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.ok(p) }
func (g *testGater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *testGater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.ok(p)
}
func (g *testGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

// testNode is one member of a test cluster: a key that survives restarts, a host, a node.
type testNode struct {
	key   crypto.PrivKey
	id    peer.ID
	dir   string
	gater *testGater
	host  host.Host
	fsm   *kvFSM
	node  *Node // nil while down
}

// testCluster is a Raft group of real libp2p hosts (TCP on 127.0.0.1, pnet, noise, yamux,
// a gater) and bbolt stores in temporary directories.
type testCluster struct {
	mu    sync.Mutex // guards the node, host and fsm fields of nodes against concurrent readers
	t     testing.TB
	psk   pnet.PSK
	tweak func(*Config)
	logs  *testWriter
	nodes []*testNode
}

func testConfig() Config {
	c := DefaultConfig()
	// raft's defaults: tighter timeouts cause spurious elections on a loaded 2-core machine.
	c.HeartbeatTimeout = time.Second
	c.ElectionTimeout = time.Second
	c.LeaderLeaseTimeout = 500 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.RPCTimeout = 2 * time.Second
	return c
}

// newCluster starts voters+nonvoters nodes; node 0 bootstraps and adds the others.
func newCluster(t testing.TB, voters, nonvoters int, tweak func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, psk: make(pnet.PSK, 32), tweak: tweak, logs: newTestWriter(t)}
	_, _ = rand.Read(c.psk)
	for range voters + nonvoters {
		key, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := peer.IDFromPrivateKey(key)
		c.nodes = append(c.nodes, &testNode{key: key, id: id, dir: t.TempDir(), gater: newTestGater()})
	}
	for _, a := range c.nodes {
		for _, b := range c.nodes {
			a.gater.allow(b.id)
		}
	}
	t.Cleanup(c.close)
	for i := range c.nodes {
		c.start(i, i == 0)
	}
	ctx := c.ctx(10 * time.Second)
	if _, err := c.nodes[0].node.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for i, n := range c.nodes[1:] {
		add := c.nodes[0].node.AddVoter
		if i+1 >= voters {
			add = c.nodes[0].node.AddNonvoter
		}
		// A loaded machine can cost the new leader its lease mid-change ("may or may not have
		// been applied"); adding a member again is idempotent, so setup retries under ctx.
		for {
			err := add(ctx, peer.AddrInfo{ID: n.id, Addrs: n.host.Addrs()})
			if err == nil {
				break
			}
			if ctx.Err() != nil || !(errs.Is(err, errs.Unavailable) || errs.Is(err, errs.Timeout)) {
				t.Fatalf("add node %d: %v", i+1, err)
			}
			if _, err := c.nodes[0].node.WaitLeader(ctx); err != nil {
				t.Fatalf("add node %d: no leader: %v", i+1, err)
			}
		}
	}
	return c
}

func (c *testCluster) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	c.t.Cleanup(cancel)
	return ctx
}

// start (re)starts node i on a fresh port with its old key and data dir.
func (c *testCluster) start(i int, bootstrap bool) {
	t, n := c.t, c.nodes[i]
	h, err := libp2p.New(libp2p.Identity(n.key), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport), libp2p.PrivateNetwork(c.psk),
		libp2p.Security(noise.ID, noise.New), libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionGater(n.gater), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	n.host = h
	c.mu.Unlock()
	for j, o := range c.nodes {
		if j == i || o.host == nil {
			continue
		}
		o.host.Peerstore().AddAddrs(h.ID(), h.Addrs(), peerstore.PermanentAddrTTL)
		h.Peerstore().AddAddrs(o.id, o.host.Addrs(), peerstore.PermanentAddrTTL)
		clearBackoff(o.host, h.ID())
	}
	cfg := testConfig()
	cfg.Host, cfg.Dir, cfg.Bootstrap = h, n.dir, bootstrap
	fsm := newKV()
	cfg.FSM = fsm
	cfg.Logger = slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelError}))
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	node, err := New(cfg)
	if err != nil {
		t.Fatalf("start node %d: %v", i, err)
	}
	c.mu.Lock()
	n.node, n.fsm = node, fsm
	c.mu.Unlock()
}

// kill stops node i abruptly: no leadership transfer, host closed.
func (c *testCluster) kill(i int) {
	n := c.nodes[i]
	if n.node == nil {
		return
	}
	if err := n.node.stop(); err != nil {
		c.t.Errorf("stop node %d: %v", i, err)
	}
	_ = n.host.Close()
	c.mu.Lock()
	n.node, n.host = nil, nil
	c.mu.Unlock()
}

func (c *testCluster) close() {
	for i := range c.nodes {
		c.kill(i)
	}
}

// running returns node i's Node and FSM, or nil when it is down; safe while a nemesis runs.
func (c *testCluster) running(i int) (*Node, *kvFSM) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].node, c.nodes[i].fsm
}

func clearBackoff(h host.Host, p peer.ID) {
	if s, ok := h.Network().(*swarm.Swarm); ok {
		s.Backoff().Clear(p)
	}
}

// testWriter sends log output to the test log until the test ends; raft's transport can
// log from connection goroutines after the node stopped, which t.Log would turn into a panic.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool // guarded by mu
}

func newTestWriter(t testing.TB) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p))
	}
	return len(p), nil
}
