package consensus

import (
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
	// Membership reports whether from may add (or remove) target.
	Membership(from, target peer.ID, remove bool) error
}

// guardRequest applies the guard to a forwarded request, rewriting its commands in place.
func (n *Node) guardRequest(from peer.ID, req *request) error {
	g := n.cfg.Guard
	if g == nil {
		return nil
	}
	switch req.op {
	case opPropose:
		for i, c := range req.cmds {
			out, err := g.Proposal(from, c)
			if err != nil {
				return errs.E("consensus.guard", errs.Permission, err)
			}
			req.cmds[i] = out
		}
	case opAddVoter, opAddNonvoter, opRemoveServer:
		target, err := peer.Decode(req.peer)
		if err != nil {
			return errs.Errorf("consensus.guard", errs.Invalid, "bad peer ID %q", req.peer)
		}
		if err := g.Membership(from, target, req.op == opRemoveServer); err != nil {
			return errs.E("consensus.guard", errs.Permission, err)
		}
	}
	return nil
}

// voterListener accepts Raft streams only from voters of the local configuration: only voters
// send AppendEntries, RequestVote or InstallSnapshot, so a non-voter (or any other admitted
// peer) cannot pose as a leader. A node whose configuration is still empty (just joined)
// accepts every admitted peer until it learns the configuration from its leader.
type voterListener struct {
	net.Listener
	voters func() map[peer.ID]bool // nil map: configuration unknown
}

func (l *voterListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		vs := l.voters()
		if len(vs) == 0 {
			return c, nil
		}
		if id, err := peer.Decode(c.RemoteAddr().String()); err == nil && vs[id] {
			return c, nil
		}
		c.Close()
	}
}

// voterSet returns the voters of the latest local configuration.
func (n *Node) voterSet() map[peer.ID]bool {
	if n.raft == nil {
		return nil
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	out := map[peer.ID]bool{}
	for _, s := range f.Configuration().Servers {
		if s.Suffrage != raft.Voter {
			continue
		}
		if id, err := peer.Decode(string(s.ID)); err == nil {
			out[id] = true
		}
	}
	return out
}
