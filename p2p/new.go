package p2p

import (
	"context"
	"time"

	"github.com/ipfs/go-cid"
	"golang.org/x/time/rate"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/fetch"
	"github.com/meridian-fed/meridian/p2p/shardproto"
)

// DHTPrefix is the federation DHT's protocol prefix; it keeps the DHT apart from the
// public IPFS one even if a peer spoke both.
const DHTPrefix = "/meridian"

// New starts a node: loads (or creates) its identity, starts the host with the federation
// key (bound into the Noise handshake) and gate, the DHT in server mode, the shard protocol
// (when a store is configured) and the join protocol. It does not connect anywhere; call
// Connect.
func New(ctx context.Context, cfg Config) (*Node, error) {
	const op = "p2p.New"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	key, err := LoadOrCreateIdentity(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if len(cfg.PSK) == 0 {
		cfg.Logger.Warn("running WITHOUT a federation key (insecure dev mode): any libp2p peer can reach the gate")
	}
	n := &Node{cfg: cfg, denials: NewDenialLog(128, cfg.Registerer)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	opts, cm, err := n.hostOptions(key)
	if err != nil {
		n.cancel()
		return nil, errs.E(op, errs.Internal, err)
	}
	if n.host, err = libp2p.New(opts...); err != nil {
		n.cancel()
		return nil, errs.Errorf(op, errs.Unavailable, "start libp2p host: %w; check the listen addresses", err)
	}
	n.watch = &watcher{net: n.host.Network(), cm: cm, members: cfg.Membership, log: n.denials, deadline: cfg.JoinDeadline, timers: map[peer.ID]*time.Timer{}}
	n.host.Network().Notify(n.watch.notifiee())
	if err := n.startProtocols(); err != nil {
		n.watch.close()
		n.host.Close()
		n.cancel()
		return nil, errs.E(op, errs.Internal, err)
	}
	return n, nil
}

func (n *Node) hostOptions(key crypto.PrivKey) ([]libp2p.Option, connmgr.ConnManager, error) {
	rm, err := newResourceManager()
	if err != nil {
		return nil, nil, err
	}
	cm, err := newConnManager()
	if err != nil {
		return nil, nil, err
	}
	g := &gater{members: n.cfg.Membership, invites: n.cfg.Invites, log: n.denials}
	n.gater = g
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(n.cfg.ListenAddrs...),
		libp2p.Transport(tcp.NewTCPTransport),
		n.security(),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionGater(g),
		libp2p.ResourceManager(&guard{ResourceManager: rm, members: n.cfg.Membership, log: n.denials}),
		libp2p.ConnectionManager(cm),
		libp2p.DisableRelay(),
	}
	if n.cfg.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(n.cfg.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	return opts, cm, nil
}

// security is Noise, bound to the federation key by its prologue when there is one. There
// is no pnet: Noise encrypts each connection once, and the key only decides who can finish
// a handshake.
func (n *Node) security() libp2p.Option {
	if len(n.cfg.PSK) == 0 {
		return libp2p.Security(noise.ID, noise.New)
	}
	return libp2p.Security(noise.ID, noiseWithPrologue(Prologue(n.cfg.PSK)))
}

func (n *Node) startProtocols() error {
	d, err := dht.New(n.host,
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(DHTPrefix),
		dht.BootstrapPeers(n.cfg.Bootstrap...),
		dht.DisableValues(),
		// Only members go into the routing table or get queried: an invitee connected for
		// the join protocol must not be handed out to other nodes as a DHT peer.
		dht.RoutingTableFilter(func(_ any, p peer.ID) bool { return n.cfg.Membership.IsMember(p) }),
		dht.QueryFilter(func(_ any, ai peer.AddrInfo) bool { return n.cfg.Membership.IsMember(ai.ID) }),
	)
	if err != nil {
		return err
	}
	n.dht = d
	n.provider = NewProvider(d, ProviderConfig{Queue: n.cfg.ProvideQueue, Workers: n.cfg.ProvideWorkers, Rate: rate.Limit(n.cfg.ProvideRate)}, n.cfg.Registerer, n.cfg.Logger)
	n.shards = shardproto.NewClient(n.host, n.cfg.ShardLimits)
	fc := n.cfg.Fetch
	fc.Self, fc.Logger = n.host.ID(), n.cfg.Logger
	n.finder = newFinder(d)
	n.fetcher = fetch.New(n.shards, n.finder, fc)
	n.registerLookupMetrics()
	if n.cfg.Store != nil {
		n.server = shardproto.NewServer(n.host, shardproto.ServerConfig{
			Store: n.cfg.Store, AllowDelete: n.cfg.AllowDelete, Limits: n.cfg.ShardLimits, Logger: n.cfg.Logger,
			Stored: func(c cid.Cid) { n.provider.Enqueue(c) }, Deleted: n.provider.Forget,
		})
		n.reprov = startReprovider(n.cfg.Store, n.provider, n.cfg.ReprovideInterval, n.cfg.Registerer, n.cfg.Logger,
			func() bool { return n.dht.RoutingTable().Size() > 0 })
	}
	n.host.SetStreamHandler(JoinID, n.handleJoin)
	if n.cfg.Kicks != nil {
		n.host.SetStreamHandler(KickID, n.handleKick)
	}
	return nil
}
