package consensus

import (
	"context"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	gostream "github.com/libp2p/go-libp2p-gostream"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/errs"
)

// RaftProtocol carries raft's RPCs (AppendEntries, RequestVote, InstallSnapshot, TimeoutNow)
// between voters, one net.Conn per libp2p stream.
const RaftProtocol protocol.ID = "/meridian/raft/1.0.0"

// transportPool is how many idle streams raft keeps per peer: pooling saves the multistream
// negotiation round trip on every RPC that is not pipelined.
const transportPool = 4

// streamLayer is a raft.StreamLayer over libp2p streams. A raft ServerAddress is the
// peer ID in text form; the host finds the peer's multiaddrs in its peerstore or routing.
type streamLayer struct {
	host host.Host
	ln   net.Listener
}

func newStreamLayer(h host.Host) (*streamLayer, error) {
	ln, err := gostream.Listen(h, RaftProtocol)
	if err != nil {
		return nil, errs.E("consensus.newStreamLayer", errs.Internal, err)
	}
	return &streamLayer{host: h, ln: ln}, nil
}

// Dial opens a raft stream to the peer named by address.
func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	const op = "consensus.Dial"
	id, err := peer.Decode(string(address))
	if err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "raft address %q is not a peer ID: %w", address, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := gostream.Dial(ctx, s.host, id, RaftProtocol)
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	return c, nil
}

// Accept waits for the next inbound raft stream.
func (s *streamLayer) Accept() (net.Conn, error) { return s.ln.Accept() }

// Close stops accepting raft streams.
func (s *streamLayer) Close() error { return s.ln.Close() }

// Addr is this host's peer ID as a net.Addr.
func (s *streamLayer) Addr() net.Addr { return s.ln.Addr() }

func newTransport(h host.Host, logger hclog.Logger, timeout time.Duration, nonvoters func() map[peer.ID]bool) (*raft.NetworkTransport, error) {
	sl, err := newStreamLayer(h)
	if err != nil {
		return nil, err
	}
	sl.ln = &voterListener{Listener: sl.ln, nonvoters: nonvoters}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  sl,
		MaxPool: transportPool,
		Timeout: timeout,
		Logger:  logger,
	}), nil
}

func serverID(p peer.ID) raft.ServerID { return raft.ServerID(p.String()) }

func serverAddr(p peer.ID) raft.ServerAddress { return raft.ServerAddress(p.String()) }
