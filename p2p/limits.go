package p2p

import (
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"

	"github.com/meridian-fed/meridian/p2p/shardproto"
)

// Resource limits, chosen for a federation of tens to hundreds of nodes that move large
// shards between a few peers at a time (see docs/p2p.md):
const (
	// peerStreams bounds the streams one peer may hold open with us in each direction: enough
	// for a stripe fan-out plus DHT and Raft traffic, far below what would exhaust us.
	peerStreams = 512
	// peerMemory bounds what one peer can make us reserve (yamux grows a stream's receive
	// window up to 16 MiB under load, so this allows ~16 bulk streams at full speed).
	peerMemory = 256 << 20
	// peerConns allows a few parallel connections (simultaneous dials) per peer.
	peerConns = 8
	// shardPeerStreams bounds concurrent shard requests per peer per direction.
	shardPeerStreams = 128
	// joinPeerStreams bounds concurrent join attempts per peer.
	joinPeerStreams = 2
	// kickPeerStreams bounds concurrent repair kicks per peer (a kick is one short message;
	// the sender sends them one at a time).
	kickPeerStreams = 2
	// connsPerIP replaces libp2p's default of 8 per IPv4 address: an institution may run
	// many nodes behind one address.
	connsPerIP = 256
)

// newResourceManager builds the resource manager: libp2p's scaled defaults (a share of the
// machine's memory and file descriptors) with the peer and protocol limits above.
func newResourceManager() (network.ResourceManager, error) {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	base := scaling.AutoScale()
	shard := rcmgr.ResourceLimits{
		Streams:         2 * shardPeerStreams,
		StreamsInbound:  shardPeerStreams,
		StreamsOutbound: shardPeerStreams,
	}
	partial := rcmgr.PartialLimitConfig{
		PeerDefault: rcmgr.ResourceLimits{
			Streams:         2 * peerStreams,
			StreamsInbound:  peerStreams,
			StreamsOutbound: peerStreams,
			Conns:           peerConns,
			ConnsInbound:    peerConns,
			ConnsOutbound:   peerConns,
			Memory:          peerMemory,
		},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{
			shardproto.ID: shard,
			JoinID:        {Streams: joinPeerStreams, StreamsInbound: joinPeerStreams, StreamsOutbound: joinPeerStreams},
			KickID:        {Streams: kickPeerStreams, StreamsInbound: kickPeerStreams, StreamsOutbound: kickPeerStreams},
		},
	}
	limiter := rcmgr.NewFixedLimiter(partial.Build(base))
	return rcmgr.NewResourceManager(limiter,
		rcmgr.WithLimitPerSubnet([]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: connsPerIP}}, nil))
}

// newConnManager keeps between 256 and 512 connections. It only ever trims unprotected
// connections, and every member's connection is protected (see watch.go), so in practice it
// trims only invitees that linger.
func newConnManager() (*connmgr.BasicConnMgr, error) {
	return connmgr.NewConnManager(256, 512)
}
