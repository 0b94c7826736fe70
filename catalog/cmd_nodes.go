package catalog

import (
	"github.com/meridian-fed/meridian/errs"
)

// AddNode registers a node's peer ID, so the connection gater admits it. Only an admin (or a
// node) of the node's member may add it; the first node of a member that has none yet may be
// added by any member's admin (that is how a new member joins through an invite).
type AddNode struct {
	Node Node `json:"node"`

	key []byte
}

// Kind implements Body.
func (*AddNode) Kind() Kind { return KindAddNode }

func (b *AddNode) check(s *State, x *exec) error {
	const op = "catalog.AddNode"
	if s.memberHasNodesLocked(b.Node.Member) {
		if err := memberAdmin(x, b.Node.Member); err != nil {
			return err
		}
	} else if err := fedAdmin(x); err != nil {
		return err
	} else if err := s.checkNodeForOtherMember(op, x, &b.Node); err != nil {
		return err
	}
	key, err := validNode(op, &b.Node)
	if err != nil {
		return err
	}
	if !s.activeMemberLocked(b.Node.Member) {
		return errs.Errorf(op, errs.NotExist, "no active member %q: add the member first", b.Node.Member)
	}
	if s.nodes[b.Node.PeerID] != nil {
		return errs.Errorf(op, errs.Exist, "peer %s is already registered; a removed node joins again with a new identity", b.Node.PeerID)
	}
	if err := s.checkAPIUnique(op, b.Node.PeerID, b.Node.API); err != nil {
		return err
	}
	if err := s.checkVoterGrant(op, &b.Node); err != nil {
		return err
	}
	if err := s.checkFirstNode(op, &b.Node); err != nil {
		return err
	}
	b.key = key
	return nil
}

func (b *AddNode) apply(s *State, x *exec) {
	if b.Node.Voter && s.gov.governed {
		s.useVoterGrantLocked(b.Node.Member)
	}
	delete(s.gov.firstNode, b.Node.Member)
	n := b.Node
	n.Addrs = append([]string(nil), n.Addrs...)
	s.nodes[n.PeerID] = &nodeEntry{Node: n, key: b.key}
}

// SetNodeState drains a node, brings a draining node back, or removes it (gone, final). An
// admin of the node's member, or the node itself, may do it.
type SetNodeState struct {
	PeerID string    `json:"peer_id"`
	State  NodeState `json:"state"`
}

// DrainNode returns the body that starts draining a node.
func DrainNode(peerID string) *SetNodeState {
	return &SetNodeState{PeerID: peerID, State: NodeDraining}
}

// RemoveNode returns the body that removes a node for good.
func RemoveNode(peerID string) *SetNodeState { return &SetNodeState{PeerID: peerID, State: NodeGone} }

// Kind implements Body.
func (*SetNodeState) Kind() Kind { return KindSetNodeState }

func (b *SetNodeState) check(s *State, x *exec) error {
	const op = "catalog.SetNodeState"
	n := s.nodes[b.PeerID]
	if n == nil {
		return errs.Errorf(op, errs.NotExist, "peer %s is not registered; list nodes with meridian federation nodes", b.PeerID)
	}
	if err := memberAdmin(x, n.Member); err != nil {
		return err
	}
	if b.State < NodeActive || b.State > NodeGone {
		return invalid(op, "node state must be active, draining or gone")
	}
	if n.State == NodeGone {
		return errs.Errorf(op, errs.Conflict, "node %s is gone for good; register a new node identity instead", b.PeerID)
	}
	return nil
}

func (b *SetNodeState) apply(s *State, x *exec) { s.nodes[b.PeerID].State = b.State }

// memberHasNodesLocked reports whether member m has a registered node that is not gone.
func (s *State) memberHasNodesLocked(m string) bool {
	for _, n := range s.nodes {
		if n.Member == m && n.State != NodeGone {
			return true
		}
	}
	return false
}
