package p2p

import (
	"time"

	"context"
	"sync"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Membership says which peers belong to the federation. The catalog implements it; it must
// be fast (it is asked on every connection and every inbound stream) and safe for concurrent
// use.
type Membership interface {
	IsMember(peer.ID) bool
}

// Invites lets peers that are not members yet join. The node implements it over the catalog.
type Invites interface {
	// Open reports whether any one-time invite is outstanding. While none is, the gater
	// refuses every non-member outright.
	Open() bool
	// Redeem checks secret against the outstanding invites and, when one matches, consumes
	// it and registers joiner, so that IsMember(joiner) holds when Redeem returns. req is the
	// joiner's request and the result is the answer sent back to it.
	Redeem(ctx context.Context, joiner peer.ID, secret, req []byte) ([]byte, error)
}

// StaticMembership is a fixed set of peers, for tests and for a joining node that knows only
// the peers named in its invite.
type StaticMembership struct {
	mu    sync.RWMutex
	peers map[peer.ID]bool // guarded by mu
}

// NewStaticMembership returns a set holding ids.
func NewStaticMembership(ids ...peer.ID) *StaticMembership {
	m := &StaticMembership{peers: map[peer.ID]bool{}}
	m.Add(ids...)
	return m
}

// Add adds peers to the set.
func (m *StaticMembership) Add(ids ...peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.peers[id] = true
	}
}

// Remove removes a peer from the set.
func (m *StaticMembership) Remove(id peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.peers, id)
}

// IsMember reports whether id is in the set.
func (m *StaticMembership) IsMember(id peer.ID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.peers[id]
}

// gater admits members, and non-members only inbound while an invite is open (the stream
// guard then limits them to the join protocol). Everything else is refused at
// InterceptSecured, the first point where the remote peer ID is authenticated.
type gater struct {
	members Membership
	invites Invites // may be nil
	log     *DenialLog
	penalty penaltyBox // strangers that presented a bad invite
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func (g *gater) InterceptPeerDial(peer.ID) bool               { return true }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool  { return true }

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	if g.members.IsMember(p) {
		return true
	}
	if dir == network.DirInbound && g.invites != nil && !g.penalty.has(p, time.Now()) && g.invites.Open() {
		return true
	}
	addr := addrs.RemoteMultiaddr().String()
	if dir == network.DirInbound {
		g.log.markGated(addr)
	}
	g.log.Add(p, addr, ReasonNotMember)
	return false
}

func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}
