package node

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/consensus"
)

// addToRaft adds a registered node to Raft as a voter or non-voter, after checking, as the
// leader's guard will, that the catalog's committed state allows it: the same rule holds
// whichever node leads.
func (n *Node) addToRaft(ctx context.Context, info peer.AddrInfo, voter bool) error {
	if !voter {
		if err := membershipAllowed(n.state, info.ID, consensus.ChangeAddNonvoter); err != nil {
			return err
		}
		return n.raft.AddNonvoter(ctx, info)
	}
	if err := membershipAllowed(n.state, info.ID, consensus.ChangeAddVoter); err != nil {
		return err
	}
	return n.raft.AddVoter(ctx, info)
}

// removeFromRaft removes a server the catalog no longer admits.
func (n *Node) removeFromRaft(ctx context.Context, id peer.ID) error {
	if err := membershipAllowed(n.state, id, consensus.ChangeRemove); err != nil {
		return err
	}
	return n.raft.RemoveServer(ctx, id)
}
