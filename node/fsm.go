package node

import (
	"encoding/json"
	"io"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/p2p"
)

// fsm adapts the catalog state to consensus.FSM and tells the node about accepted commands
// (new objects for subscribers, membership changes for the gater).
type fsm struct{ n *Node }

func (f fsm) Apply(index uint64, cmd []byte) ([]byte, error) {
	res := f.n.state.Apply(index, cmd)
	if res.Err != nil {
		return nil, res.Err
	}
	f.n.applied(res)
	out, _ := json.Marshal(res.Audit) // AuditEntry has only plain fields: cannot fail
	return out, nil
}

func (f fsm) Snapshot(w io.Writer) error { return f.n.state.WriteSnapshot(w) }

func (f fsm) Restore(r io.Reader) error {
	if err := f.n.state.Restore(r); err != nil {
		return err
	}
	f.n.membershipChanged()
	return nil
}

// applied runs after the catalog accepted a command, on Raft's apply goroutine: it must be
// quick and must not block on the network. It works from res alone: the command is not decoded
// again (res.Object is the object a Publish created).
func (n *Node) applied(res catalog.Result) {
	switch res.Kind {
	case catalog.KindPublish:
		if res.Object == nil { // catalog.Apply sets it for every accepted Publish
			n.log.Error("catalog accepted a publish but returned no object: subscribers are not told of it; report this as a bug", "index", res.Index)
			return
		}
		n.events.publishObject(n, res.Object)
	case catalog.KindSetScope, catalog.KindSetGrants, catalog.KindAddMember:
		n.rewrapWake()
	case catalog.KindSetNodeState, catalog.KindRetireMember, catalog.KindGovApprove, catalog.KindGovPropose:
		// a passed remove-member retires a member: its nodes leave the gater and Raft
		n.membershipChanged()
		n.kickRepair("a node's state changed") // a draining or gone node: move its shards now
	}
}

// membership is who may connect: nodes registered in the catalog, plus peers trusted before
// the local replica knows them (configured bootstrap peers and the members named by a join).
type membership struct {
	state   *catalog.State
	trusted *p2p.StaticMembership
	raft    func(peer.ID) bool // member of the Raft configuration (known before the log replays)
	blocked *peerSet           // peers cut off by a test partition
}

func (m membership) IsMember(p peer.ID) bool {
	if m.blocked.has(p) {
		return false
	}
	// Once the catalog knows a peer, it alone decides: a node removed from the catalog is
	// refused even if it is still in the Raft configuration or was a bootstrap peer.
	if _, err := m.state.Node(p.String()); err == nil {
		return m.state.IsRegisteredPeer(p.String())
	}
	if m.state.Len() == 0 && len(m.state.Nodes()) == 0 && m.raft(p) {
		return true // a restarted node trusts its Raft peers until its catalog has replayed
	}
	return m.trusted.IsMember(p)
}
