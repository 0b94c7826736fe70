package consensus

import (
	"context"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// ID returns this node's peer ID, which is also its Raft server ID.
func (n *Node) ID() peer.ID { return n.self }

// Leader returns the peer ID of the leader this node knows of, or "" if none.
func (n *Node) Leader() peer.ID {
	_, id := n.raft.LeaderWithID()
	p, err := peer.Decode(string(id))
	if err != nil {
		return ""
	}
	return p
}

// IsLeader reports whether this node believes it is the leader. Only LinearizableRead proves it.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// WaitLeader waits until some leader is known and returns it.
func (n *Node) WaitLeader(ctx context.Context) (peer.ID, error) {
	const op = "consensus.WaitLeader"
	for {
		ch := n.leaderSeen.wait()
		if l := n.Leader(); l != "" {
			return l, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", errs.Errorf(op, errs.Timeout, "no leader known: check that a majority of voters is up and connected (%w)", ctx.Err())
		case <-n.stopped:
			return "", errStopped(op)
		}
	}
}

// AppliedIndex returns the index of the last log entry the local FSM has applied.
func (n *Node) AppliedIndex() uint64 { return n.fsm.appliedIndex() }

// WaitApplied returns once this node's state machine has applied index (woken by the apply
// itself, not by polling), or with an error when ctx ends or the node stops.
func (n *Node) WaitApplied(ctx context.Context, index uint64) error {
	return n.fsm.waitApplied(ctx, index, n.stopped)
}

// Stats describes the node's view of the group.
type Stats struct {
	ID           peer.ID
	State        string // Follower, Candidate, Leader or Shutdown
	Leader       peer.ID
	Term         uint64
	LastIndex    uint64
	CommitIndex  uint64
	AppliedIndex uint64
	LastContact  time.Time // last contact with the leader; zero on the leader
	Awaiting     int64     // goroutines waiting on raft futures (calls in flight)
}

// Stats returns the node's current view.
func (n *Node) Stats() Stats {
	return Stats{
		ID:           n.self,
		State:        n.raft.State().String(),
		Leader:       n.Leader(),
		Term:         n.raft.CurrentTerm(),
		LastIndex:    n.raft.LastIndex(),
		CommitIndex:  n.raft.CommitIndex(),
		AppliedIndex: n.fsm.appliedIndex(),
		LastContact:  n.raft.LastContact(),
		Awaiting:     n.awaiting.Load(),
	}
}

// Member is one server of the Raft configuration.
type Member struct {
	ID    peer.ID
	Voter bool
}

// Members returns the latest Raft configuration known to this node (possibly not yet committed).
func (n *Node) Members(ctx context.Context) ([]Member, error) {
	const op = "consensus.Members"
	f := n.raft.GetConfiguration()
	if err := n.await(ctx, op, f); err != nil {
		return nil, err
	}
	var out []Member
	for _, s := range f.Configuration().Servers {
		p, err := peer.Decode(string(s.ID))
		if err != nil {
			return nil, errs.Errorf(op, errs.Corrupt, "raft server ID %q is not a peer ID", s.ID)
		}
		out = append(out, Member{ID: p, Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}
