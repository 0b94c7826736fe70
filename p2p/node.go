// Package p2p is a Meridian node's private libp2p networking: identity, federation key,
// membership gate, federation DHT, the shard protocol and fast stripe reads.
package p2p

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/fetch"
	"github.com/meridian-fed/meridian/p2p/shardproto"
	"github.com/meridian-fed/meridian/store"
)

// Config configures a Node. Build it from DefaultConfig.
type Config struct {
	DataDir  string   // holds the identity key unless KeyFile is set
	KeyFile  string   // identity key path; default DataDir/identity.key
	PSK      pnet.PSK // the federation key (bound into Noise as its prologue; no pnet runs); required unless Insecure
	Insecure bool     // development only: run without a federation key

	ListenAddrs []string        // multiaddrs, TCP only
	Bootstrap   []peer.AddrInfo // federation nodes to connect to and seed the DHT with

	Membership  Membership              // required: who may connect
	Invites     Invites                 // optional: lets invited non-members join
	Store       store.Store             // optional: when set, the node serves shards from it
	AllowDelete shardproto.DeletePolicy // who may delete shards (nil: nobody)

	ShardLimits shardproto.Limits
	Fetch       fetch.Config // stripe reads (Self and Logger are filled in)
	// Kicks, when set, receives the repair kicks members send (kick.go); it must not block.
	Kicks          func(from peer.ID, k Kick)
	JoinDeadline   time.Duration // how long an invitee may stay connected without joining
	ProvideQueue   int           // pending provider announcements kept (oldest dropped beyond)
	ProvideWorkers int           // announcements in parallel
	ProvideRate    float64       // announcements started per second (0: 500)
	// ReprovideInterval is how often every block in Store is announced again (0: 22h, under
	// half the DHT's 48-hour record lifetime). A sweep also runs after each Connect.
	ReprovideInterval time.Duration
	Registerer        prometheus.Registerer
	Logger            *slog.Logger
}

// DefaultConfig returns a configuration listening on every interface at TCP port 4001.
func DefaultConfig() Config {
	return Config{
		ListenAddrs:    []string{"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"},
		JoinDeadline:   time.Minute,
		ProvideQueue:   16384,
		ProvideWorkers: 16,
	}
}

// Validate checks the configuration and says what to fix.
func (c *Config) Validate() error {
	const op = "p2p.Config"
	switch {
	case c.KeyFile == "" && c.DataDir == "":
		return errs.Errorf(op, errs.Invalid, "no data dir: set DataDir (or KeyFile) so the node keeps its identity")
	case len(c.PSK) == 0 && !c.Insecure:
		return errs.Errorf(op, errs.Invalid, "no federation key: pass the key from your invite (or run in insecure dev mode)")
	case len(c.PSK) != 0 && len(c.PSK) != PSKSize:
		return errs.Errorf(op, errs.Invalid, "federation key has %d bytes, want %d", len(c.PSK), PSKSize)
	case c.Membership == nil:
		return errs.Errorf(op, errs.Invalid, "no membership: the gate needs to know the federation's peers")
	case len(c.ListenAddrs) == 0:
		return errs.Errorf(op, errs.Invalid, "no listen addresses")
	}
	return nil
}

func (c *Config) fill() {
	if c.KeyFile == "" {
		c.KeyFile = filepath.Join(c.DataDir, KeyFileName)
	}
	if c.JoinDeadline <= 0 {
		c.JoinDeadline = time.Minute
	}
	if c.ProvideQueue <= 0 {
		c.ProvideQueue = 16384
	}
	if c.ProvideWorkers <= 0 {
		c.ProvideWorkers = 16
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Node is a running libp2p host with the federation's protocols.
type Node struct {
	cfg      Config
	host     host.Host
	dht      *dht.IpfsDHT
	denials  *DenialLog
	gater    *gater
	watch    *watcher
	shards   *shardproto.Client
	server   *shardproto.Server // nil without a store
	provider *Provider
	reprov   *reprovider // nil without a store
	finder   *finder
	fetcher  *fetch.Fetcher

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
}

// Host returns the libp2p host.
func (n *Node) Host() host.Host { return n.host }

// DHT returns the federation DHT.
func (n *Node) DHT() *dht.IpfsDHT { return n.dht }

// Shards returns the shard protocol client.
func (n *Node) Shards() *shardproto.Client { return n.shards }

// Fetcher returns the stripe fetcher.
func (n *Node) Fetcher() *fetch.Fetcher { return n.fetcher }

// Denials returns the log of refused connections and streams.
func (n *Node) Denials() *DenialLog { return n.denials }

// Provide announces, in the background, that this node holds c.
func (n *Node) Provide(c cid.Cid) bool { return n.provider.Enqueue(c) }

// Forget stops announcing c, which this node no longer holds: it leaves the queue and the
// next sweeps (the DHT has no withdrawal; records elsewhere expire within 48 hours).
func (n *Node) Forget(c cid.Cid) { n.provider.Forget(c) }

// EnforceMembership re-applies the membership to current connections; call it after the
// catalog's membership changed (a node removed is disconnected at once).
func (n *Node) EnforceMembership() { n.watch.enforce() }

// Connect connects to the bootstrap peers (and any others given) and bootstraps the DHT.
// It fails only when no peer at all could be reached.
func (n *Node) Connect(ctx context.Context, peers ...peer.AddrInfo) error {
	peers = append(append([]peer.AddrInfo(nil), n.cfg.Bootstrap...), peers...)
	var ok int
	var last error
	for _, ai := range peers {
		if ai.ID == n.host.ID() {
			continue
		}
		if err := n.host.Connect(ctx, ai); err != nil {
			last = err
			continue
		}
		ok++
	}
	if ok == 0 && last != nil {
		return errs.Errorf("p2p.Connect", errs.Unavailable, "no federation node reachable (last: %v); check addresses and the federation key", last)
	}
	err := n.dht.Bootstrap(ctx)
	if n.reprov != nil {
		n.reprov.Kick() // announce what this node holds: it may have been away
	}
	return err
}

// Close stops the node's protocols and host, in reverse order of starting.
func (n *Node) Close() error {
	n.cancel()
	n.host.RemoveStreamHandler(JoinID)
	n.host.RemoveStreamHandler(KickID)
	if n.server != nil {
		n.server.Close()
	}
	n.shards.Close() // idle pooled streams
	if n.reprov != nil {
		n.reprov.close()
	}
	n.provider.Close()
	n.watch.close()
	derr := n.dht.Close()
	herr := n.host.Close()
	if herr != nil {
		return herr
	}
	return derr
}
