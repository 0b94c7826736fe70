package p2p

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	"github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/errs"
)

// guard wraps the resource manager, the one component libp2p consults both when a
// connection's handshake ends and when an inbound stream's protocol is chosen. It
//   - counts inbound connections that never authenticated (wrong or missing federation key,
//     or not libp2p at all), which the gater never sees;
//   - lets a connected non-member (an invitee) open only the join protocol and identify.
type guard struct {
	network.ResourceManager
	members Membership
	log     *DenialLog
}

// strangerProtocols are the protocols a non-member may open towards us.
var strangerProtocols = map[protocol.ID]bool{
	JoinID:          true,
	identify.ID:     true,
	identify.IDPush: true,
}

func (g *guard) OpenConnection(dir network.Direction, usefd bool, endpoint multiaddr.Multiaddr) (network.ConnManagementScope, error) {
	s, err := g.ResourceManager.OpenConnection(dir, usefd, endpoint)
	if err != nil || dir != network.DirInbound {
		return s, err
	}
	return &connScope{ConnManagementScope: s, g: g, addr: endpoint.String()}, nil
}

func (g *guard) OpenStream(p peer.ID, dir network.Direction) (network.StreamManagementScope, error) {
	s, err := g.ResourceManager.OpenStream(p, dir)
	if err != nil || dir != network.DirInbound || g.members.IsMember(p) {
		return s, err
	}
	return &strangerStream{StreamManagementScope: s, g: g, p: p}, nil
}

// GetConnLimit lets libp2p check the connection manager against our limits.
func (g *guard) GetConnLimit() int {
	if l, ok := g.ResourceManager.(connmgr.GetConnLimiter); ok {
		return l.GetConnLimit()
	}
	return 0
}

// connScope notices an inbound connection that ends before its peer is known.
type connScope struct {
	network.ConnManagementScope
	g    *guard
	addr string

	once   sync.Once
	mu     sync.Mutex
	authed bool // guarded by mu
}

func (c *connScope) SetPeer(p peer.ID) error {
	c.mu.Lock()
	c.authed = true
	c.mu.Unlock()
	return c.ConnManagementScope.SetPeer(p)
}

func (c *connScope) Done() {
	c.once.Do(func() {
		c.mu.Lock()
		authed := c.authed
		c.mu.Unlock()
		if !authed && !c.g.log.takeGated(c.addr) {
			c.g.log.Add("", c.addr, ReasonHandshake)
		}
	})
	c.ConnManagementScope.Done()
}

// strangerStream refuses every protocol but join and identify for a non-member.
type strangerStream struct {
	network.StreamManagementScope
	g *guard
	p peer.ID
}

func (s *strangerStream) SetProtocol(proto protocol.ID) error {
	if !strangerProtocols[proto] && !s.g.members.IsMember(s.p) {
		s.g.log.Add(s.p, "", ReasonProtocolRefused)
		return errs.Errorf("p2p.guard", errs.Permission, "peer %s is not a member; only %s is open to it", s.p, JoinID)
	}
	return s.StreamManagementScope.SetProtocol(proto)
}
