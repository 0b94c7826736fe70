package consensus

import (
	"context"
	"net"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// Guard vets what other peers ask of this node when it serves forwarded calls (as leader).
// Raft authenticates nobody by itself: without a guard, any peer the host admits could propose
// commands in anyone's name or change the membership.
type Guard interface {
	// Proposal checks a command forwarded by from and returns the bytes to propose (it may
	// re-stamp fields the leader owns, such as the time), or an error refusing it.
	Proposal(from peer.ID, cmd []byte) ([]byte, error)
	// Membership reports whether from may make change to target's place in the configuration.
	Membership(from, target peer.ID, change Change) error
}

// Change is a Raft configuration change a guard vets.
type Change uint8

// Configuration changes.
const (
	ChangeAddVoter Change = iota + 1
	ChangeAddNonvoter
	ChangeRemove
)

var changeNames = [...]string{ChangeAddVoter: "add voter", ChangeAddNonvoter: "add non-voter", ChangeRemove: "remove"}

// String returns "add voter", "add non-voter" or "remove".
func (c Change) String() string {
	if c >= ChangeAddVoter && c <= ChangeRemove {
		return changeNames[c]
	}
	return "unknown change"
}

func changeOf(o opcode) Change {
	switch o {
	case opAddVoter:
		return ChangeAddVoter
	case opAddNonvoter:
		return ChangeAddNonvoter
	}
	return ChangeRemove
}

// guardMembership applies the guard to a forwarded membership change.
func (n *Node) guardMembership(from peer.ID, req *request) error {
	g := n.cfg.Guard
	if g == nil || req.op == opPropose || req.op == opReadIndex || req.op == opProbeIndex {
		return nil
	}
	target, err := peer.Decode(req.peer)
	if err != nil {
		return errs.Errorf("consensus.guard", errs.Invalid, "bad peer ID %q", req.peer)
	}
	if err := g.Membership(from, target, changeOf(req.op)); err != nil {
		return errs.E("consensus.guard", errs.Permission, err)
	}
	return nil
}

// serveGuardedPropose vets each command of a forwarded batch on its own: a refused command
// gets a Permission result and the others are still proposed, since a batch mixes the
// proposals of many callers on the follower.
func (n *Node) serveGuardedPropose(ctx context.Context, from peer.ID, req *request) *response {
	results := make([]result, len(req.cmds))
	var allowed [][]byte
	var at []int
	for i, c := range req.cmds {
		out, err := n.cfg.Guard.Proposal(from, c)
		if err != nil {
			results[i] = toResult(nil, 0, errs.E("consensus.guard", errs.Permission, err))
			continue
		}
		allowed, at = append(allowed, out), append(at, i)
	}
	if len(req.cmds) == 1 {
		if len(allowed) == 0 {
			return &response{result: results[0]}
		}
		return n.toResponse(n.serveLocal(ctx, &request{op: opPropose, cmds: allowed}))
	}
	if len(allowed) > 0 {
		for j, r := range n.applyBatchLocal(ctx, allowed) {
			results[at[j]] = r
		}
	}
	return &response{results: results}
}

// voterListener refuses raft streams from peers that the local configuration lists as
// non-voters: only voters send AppendEntries, RequestVote, InstallSnapshot or TimeoutNow, so
// a non-voter cannot pose as a leader. A peer the configuration does not list is accepted (the
// gater admits only registered nodes): it may be a voter added by entries this node has not
// received yet, and refusing it would keep this node from ever catching up while it leads.
type voterListener struct {
	net.Listener
	nonvoters func() map[peer.ID]bool
}

func (l *voterListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		id, err := peer.Decode(c.RemoteAddr().String())
		if err == nil && !l.nonvoters()[id] {
			return c, nil
		}
		_ = c.Close()
	}
}

// nonvoterSet returns the non-voters of the latest local configuration.
func (n *Node) nonvoterSet() map[peer.ID]bool {
	r := n.raftReady.Load() // the transport accepts streams before New has set n.raft
	if r == nil {
		return nil
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	out := map[peer.ID]bool{}
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			continue
		}
		if id, err := peer.Decode(string(s.ID)); err == nil {
			out[id] = true
		}
	}
	return out
}
