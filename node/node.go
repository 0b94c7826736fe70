package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/consensus"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
	"github.com/meridian-fed/meridian/repair"
	"github.com/meridian-fed/meridian/store"
)

// Node is one running Meridian daemon. Its parts are started in dependency order by Start
// and stopped in reverse by Close; every goroutine it starts is owned by its WaitGroup.
type Node struct {
	cfg       Config
	bootstrap bool
	log       *slog.Logger
	now       func() time.Time

	state     *catalog.State
	store     *store.Disk
	p2p       *p2p.Node
	raft      *consensus.Node
	raftUp    atomic.Pointer[consensus.Node] // raft, for the gater and apply, which run before openRaft returns
	shards    *shardIO
	trusted   *p2p.StaticMembership // peers trusted before the catalog knows them (bootstrap, join)
	invites   *inviteBook
	blocked   peerSet       // test partitions (Partition, Heal)
	memberCh  chan struct{} // signals meshLoop that the membership changed
	rewrapCh  chan struct{} // signals rewrapLoop that a catalog may have gained readers
	events    *broker
	memberKey atomic.Pointer[age.X25519Identity] // replaced once when a join delivers the member's (memberkey.go)
	signKey   ed25519.PrivateKey
	reg       *prometheus.Registry
	manifests *lru.Cache[cid.Cid, *chunker.Manifest]
	repairer  *repair.Repairer
	kickable  atomic.Pointer[repair.Repairer] // repairer, once started: kicked by publish and the mesh loop
	bad       *badStripes                     // stripes known short of a shard, kicks to send (badshard.go)
	scrubber  *repair.Scrubber
	metrics   *metrics
	deletes   atomic.Pointer[deletePolicy] // remote DELETE policy; nil (refuse all) until p2p is up
	catchUp   catchUp                      // closed until the replica has caught up (catchup.go)

	httpSrv *http.Server
	apiLn   net.Listener
	tls     *apiTLS // how the API is served (tls.go)

	bgCtx context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start opens the node's data dir and starts its parts: store, libp2p host, Raft, HTTP API
// and background loops. bootstrap makes the node the first voter of a new federation when
// its Raft state is empty. Close stops everything.
func Start(ctx context.Context, cfg Config, bootstrap bool) (_ *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, now: time.Now, state: catalog.New(), reg: prometheus.NewRegistry()}
	if n.log == nil {
		lvl, _ := parseLevel(cfg.LogLevel)
		n.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.metrics = newMetrics(n.reg)
	n.bad = newBadStripes(n.reg)
	n.events = newBroker()
	n.memberCh = make(chan struct{}, 1)
	n.rewrapCh = make(chan struct{}, 1)
	n.manifests, _ = lru.New[cid.Cid, *chunker.Manifest](4096) // only fails for a size ≤ 0
	bg, cancel := context.WithCancel(context.Background())
	n.bgCtx, n.stop = bg, cancel
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	n.bootstrap = bootstrap
	for _, step := range []func(context.Context) error{n.openKeys, n.openStore, n.openP2P, n.openRaft, n.openAPI} {
		if err := step(ctx); err != nil {
			return n, err
		}
	}
	n.startLoops(bg)
	n.startCatchUp(bg)
	n.goFunc(func() { n.registerAPILoop(bg) })
	if err := n.startDurability(bg); err != nil {
		return n, err
	}
	if err := n.writeAddrsFile(); err != nil {
		return n, err
	}
	n.log.Info("node started", "peer", n.p2p.Host().ID(), "member", cfg.Member, "api", n.APIAddr(), "p2p", n.P2PAddrs())
	return n, nil
}

func (n *Node) openKeys(context.Context) error {
	const op = "node.openKeys"
	mk, err := LoadMemberKey(n.cfg.DataDir)
	if err != nil {
		return err
	}
	n.memberKey.Store(mk)
	priv, err := p2p.LoadOrCreateIdentity(filepath.Join(n.cfg.DataDir, p2p.KeyFileName))
	if err != nil {
		return err
	}
	raw, err := priv.Raw()
	if err != nil || len(raw) != ed25519.PrivateKeySize {
		return errs.Errorf(op, errs.Corrupt, "node identity is not an ed25519 key; run 'meridian node init' in a new data dir")
	}
	n.signKey = ed25519.PrivateKey(raw)
	n.invites = openInviteBook(filepath.Join(n.cfg.DataDir, "invites.json"))
	return nil
}

func (n *Node) openStore(context.Context) error {
	s, err := store.OpenDisk(filepath.Join(n.cfg.DataDir, "blocks"), store.DiskOptions{Capacity: n.cfg.Capacity, Reserve: 64 << 20, FS: n.cfg.StoreFS})
	if err != nil {
		return err
	}
	n.store = s
	n.registerStoreMetrics()
	return nil
}

func (n *Node) openP2P(ctx context.Context) error {
	const op = "node.openP2P"
	pskBytes, err := os.ReadFile(filepath.Join(n.cfg.DataDir, SwarmKeyFile))
	if err != nil {
		return errs.Errorf(op, errs.NotExist, "no federation key at %s: run 'meridian federation init' or 'meridian node join <invite>' first", filepath.Join(n.cfg.DataDir, SwarmKeyFile))
	}
	psk, err := p2p.DecodePSK(pskBytes)
	if err != nil {
		return err
	}
	if p2p.IsLegacyKey(pskBytes) {
		n.log.Info("federation key file is in the legacy pnet format; its key now binds the Noise handshake (no pnet), so every member must run this version", "fingerprint", p2p.Fingerprint(psk))
	}
	boot, err := parseAddrInfos(n.cfg.Bootstrap)
	if err != nil {
		return err
	}
	n.trusted = p2p.NewStaticMembership()
	for _, b := range boot {
		n.trusted.Add(b.ID)
	}
	pc := p2p.DefaultConfig()
	pc.DataDir, pc.PSK, pc.ListenAddrs, pc.Bootstrap = n.cfg.DataDir, psk, n.cfg.Listen, boot
	for _, id := range n.loadKnownPeers() {
		n.trusted.Add(id)
	}
	pc.Membership = membership{state: n.state, trusted: n.trusted, raft: n.inRaftConfig, blocked: &n.blocked}
	pc.Invites = n.invites.forNode(n)
	pc.Store = n.store
	pc.AllowDelete = n.allowDelete
	pc.Kicks = n.kicked
	pc.Registerer = n.reg
	pc.Logger = n.log.With("part", "p2p")
	if n.p2p, err = p2p.New(ctx, pc); err != nil {
		return err
	}
	n.shards = &shardIO{self: n.p2p.Host().ID(), local: n.store, remote: n.p2p.Shards(), provide: n.p2p.Provide}
	n.deletes.Store(newDeletePolicy(n))
	if len(boot) > 0 {
		if err := n.p2p.Connect(ctx, boot...); err != nil {
			n.log.Warn("no bootstrap peer reachable yet; will keep trying through raft", "err", err)
		}
	}
	return nil
}

func (n *Node) openRaft(ctx context.Context) error {
	rc := consensus.DefaultConfig()
	rc.Host = n.p2p.Host()
	rc.Dir = filepath.Join(n.cfg.DataDir, "raft")
	rc.FSM = fsm{n: n}
	rc.Logger = n.log.With("part", "raft")
	rc.Bootstrap = n.bootstrap
	rc.Guard = guard{n: n}
	localTimeouts(&rc)
	r, err := consensus.New(rc)
	if err != nil {
		return err
	}
	n.raft = r
	n.raftUp.Store(r)
	return nil
}

// localTimeouts shortens Raft's timeouts for a federation whose voters answer within
// milliseconds (loopback or one campus); a wide-area federation keeps the defaults.
func localTimeouts(rc *consensus.Config) {
	rc.HeartbeatTimeout = 500 * time.Millisecond
	rc.ElectionTimeout = 500 * time.Millisecond
	rc.LeaderLeaseTimeout = 250 * time.Millisecond
}

func (n *Node) openAPI(context.Context) error {
	access, err := n.cfg.apiAccess() // before listening: nothing to close on a bad setting
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.APIAddr)
	if err != nil {
		return errs.Errorf("node.openAPI", errs.Unavailable, "listen on %s: %v; pick another api_addr", n.cfg.APIAddr, err)
	}
	n.apiLn = ln
	served, err := n.serveTLS(api.JSONErrors(ln)) // JSONErrors only rewrites plain HTTP; beneath TLS it passes bytes through
	if err != nil {
		return err
	}
	h := api.NewServer(n, api.Options{Registry: n.reg, MaxObjectSize: n.cfg.MaxObject, Logger: n.log.With("part", "api"),
		BaseURL: n.cfg.APIURL, Limits: n.cfg.APILimits, Access: access})
	n.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(n.log.With("part", "api").Handler(), slog.LevelInfo)} // TLS handshake failures, e.g. clients that do not pin this node
	n.goFunc(func() {
		if err := n.httpSrv.Serve(served); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("api server stopped", "err", err)
		}
	})
	return nil
}

// goFunc runs f in a goroutine owned by the node (Close waits for it).
func (n *Node) goFunc(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// Close stops the node in reverse dependency order: HTTP API, loops, Raft (handing
// leadership over), libp2p, store. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var all []error
		if n.httpSrv != nil {
			all = append(all, n.httpSrv.Shutdown(ctx))
		} else if n.apiLn != nil {
			all = append(all, n.apiLn.Close())
		}
		if n.stop != nil {
			n.stop()
		}
		if n.raft != nil {
			all = append(all, n.raft.Shutdown(ctx))
		}
		n.wg.Wait()
		if n.p2p != nil {
			all = append(all, n.p2p.Close())
		}
		if n.store != nil {
			all = append(all, n.store.Close())
		}
		n.closeErr = errors.Join(all...)
	})
	return n.closeErr
}

// PeerID returns the node's libp2p peer ID.
func (n *Node) PeerID() peer.ID { return n.p2p.Host().ID() }

// APIAddr returns the address the HTTP API listens on.
func (n *Node) APIAddr() string {
	if n.apiLn == nil {
		return ""
	}
	return n.apiLn.Addr().String()
}

// P2PAddrs returns the node's libp2p addresses with its /p2p/ suffix.
func (n *Node) P2PAddrs() []string {
	var out []string
	for _, a := range n.p2p.Host().Addrs() {
		out = append(out, fmt.Sprintf("%s/p2p/%s", a, n.PeerID()))
	}
	return out
}

// State returns the local catalog replica (read-only use).
func (n *Node) State() *catalog.State { return n.state }

// Host returns the node's libp2p host (for tools and benchmarks that measure the mesh).
func (n *Node) Host() host.Host { return n.p2p.Host() }
