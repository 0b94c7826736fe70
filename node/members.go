package node

import (
	"math"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// placementNodes returns the nodes that may take new shards, as placement sees them.
func (n *Node) placementNodes() []placement.Node {
	return n.toPlacementNodes(n.state.Nodes(catalog.NodeActive))
}

// placementNodesAll returns every node that may still hold shards (active and draining), for
// reads: draining nodes keep serving until their shards have moved.
func (n *Node) placementNodesAll() []placement.Node {
	return n.toPlacementNodes(n.state.Nodes(catalog.NodeActive, catalog.NodeDraining))
}

func (n *Node) toPlacementNodes(nodes []catalog.Node) []placement.Node {
	regions := map[string]string{}
	for _, m := range n.state.Members() {
		regions[m.ID] = m.Region
	}
	out := make([]placement.Node, 0, len(nodes))
	for _, nd := range nodes {
		free := nd.Capacity
		if free <= 0 {
			free = math.MaxInt64 // no declared limit: the holder refuses with NoSpace when full
		}
		out = append(out, placement.Node{ID: nd.PeerID, Member: nd.Member, Region: regions[nd.Member], Active: nd.State == catalog.NodeActive, FreeBytes: free})
	}
	return out
}

func decodePeer(s string) (peer.ID, error) {
	id, err := peer.Decode(s)
	if err != nil {
		return "", errs.Errorf("node.decodePeer", errs.Invalid, "bad peer ID %q: %v", s, err)
	}
	return id, nil
}
