package node

import (
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/consensus"
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

// Membership admits a Raft configuration change only as the result of a committed catalog
// decision (docs/node.md, "Governance"): a voter is added only when the catalog registers it
// as a voter (which a governed federation allows only under a passed add-voter or add-member
// decision), a non-voter only when registered as one (by an admin of its member), and a
// server is removed only when the catalog no longer admits it (set gone by its member's
// admin or by itself, or its member retired by a passed remove-member). The requester must be
// an active node.
func (g guard) Membership(from, target peer.ID, change consensus.Change) error {
	const op = "node.guard"
	nd, err := g.n.state.Node(from.String())
	if err != nil || nd.State != catalog.NodeActive {
		return errs.Errorf(op, errs.Permission, "peer %s is not an active node of the federation", from)
	}
	return membershipAllowed(g.n.state, target, change)
}

// membershipAllowed is the catalog's side of Membership, which a node also applies to the
// changes it makes itself.
func membershipAllowed(st *catalog.State, target peer.ID, change consensus.Change) error {
	const op = "node.guard"
	t, err := st.Node(target.String())
	switch {
	case err != nil:
		return errs.Errorf(op, errs.Permission, "peer %s is not registered in the catalog: add the node first", target)
	case change == consensus.ChangeRemove:
		if st.IsRegisteredPeer(target.String()) {
			return errs.Errorf(op, errs.Permission, "node %s of member %s is still registered: only its member's admin (setting it gone) or a passed remove-member decision takes it out of Raft", target, t.Member)
		}
	case t.State != catalog.NodeActive || !st.IsRegisteredPeer(target.String()):
		return errs.Errorf(op, errs.Permission, "node %s is %s: only active nodes join Raft", target, t.State)
	case change == consensus.ChangeAddVoter && !t.Voter:
		return errs.Errorf(op, errs.Permission, "node %s is registered as a non-voter: a voter needs a passed add-voter decision (meridian federation propose add-voter %s)", target, t.Member)
	case change == consensus.ChangeAddNonvoter && t.Voter:
		return errs.Errorf(op, errs.Permission, "node %s is registered as a voter; demoting it is not supported", target)
	}
	return nil
}
