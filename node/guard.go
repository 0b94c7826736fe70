package node

import (
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
)

// guard is the leader's check of what other nodes forward (consensus.Guard). A node may
// propose only in its own name or for users of its own member, and only while it is an active
// registered node; the leader stamps the command's time with its own clock, as DESIGN asks.
type guard struct{ n *Node }

func (g guard) Proposal(from peer.ID, cmd []byte) ([]byte, error) {
	const op = "node.guard"
	c, err := catalog.DecodeCommand(cmd)
	if err != nil {
		return nil, err
	}
	nd, err := g.n.state.Node(from.String())
	if err != nil || nd.State == catalog.NodeGone {
		return nil, errs.Errorf(op, errs.Permission, "peer %s is not an active or draining node of the federation", from)
	}
	if actorNode, ok := strings.CutPrefix(c.Actor, catalog.NodePrefix); ok {
		if actorNode != from.String() {
			return nil, errs.Errorf(op, errs.Permission, "node %s may not act as node %s", from, actorNode)
		}
	} else if u, err := g.n.state.User(c.Actor); err != nil || u.Member != nd.Member {
		return nil, errs.Errorf(op, errs.Permission, "node %s of member %s may not act for user %q", from, nd.Member, c.Actor)
	}
	c.Time = g.n.now().UnixNano()
	return c.Encode()
}

// mayActFor applies to this node's own proposals the rule the leader applies to forwarded
// ones, so a request behaves the same whichever node leads: a node proposes for users of its
// own member only.
func (n *Node) mayActFor(actor string) error {
	if strings.HasPrefix(actor, catalog.NodePrefix) {
		return nil // the node itself (the guard binds the peer on the leader)
	}
	if u, err := n.state.User(actor); err == nil && u.Member != n.cfg.Member {
		return errs.Errorf("node.propose", errs.Permission, "this node belongs to member %s and changes the catalog only for its users; send the request to a node of %s", n.cfg.Member, u.Member)
	}
	return nil
}

func (g guard) Membership(from, target peer.ID, remove bool) error {
	const op = "node.guard"
	nd, err := g.n.state.Node(from.String())
	if err != nil || nd.State != catalog.NodeActive {
		return errs.Errorf(op, errs.Permission, "peer %s is not an active node of the federation", from)
	}
	if remove {
		return nil // removal only shrinks what a peer can do; the catalog records why
	}
	t, err := g.n.state.Node(target.String())
	if err != nil || t.State != catalog.NodeActive {
		return errs.Errorf(op, errs.Permission, "peer %s is not registered in the catalog: add the node first", target)
	}
	return nil
}
