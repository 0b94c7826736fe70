package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/meridian-fed/meridian/catalog"
)

// meshInterval is how often the node dials registered nodes it is not connected to.
const meshInterval = 2 * time.Second

// meshLoop keeps this node connected to every registered node, with their catalog addresses
// in the peerstore, so shard transfers and readiness never wait for a lazy dial or the DHT.
func (n *Node) meshLoop(ctx context.Context) {
	t := time.NewTicker(meshInterval)
	defer t.Stop()
	var saved []nodeAddr
	for {
		n.connectMembers(ctx)
		saved = n.saveKnownPeers(saved)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) connectMembers(ctx context.Context) {
	h := n.p2p.Host()
	nodes := n.state.Nodes(catalog.NodeActive, catalog.NodeDraining)
	if len(nodes) == 0 {
		n.connectKnown(ctx) // catalog not replayed yet after a restart
		return
	}
	for _, nd := range nodes {
		id, err := decodePeer(nd.PeerID)
		if err != nil || id == h.ID() {
			continue
		}
		info, err := addrInfo(id, nd.Addrs)
		if err != nil {
			continue
		}
		h.Peerstore().AddAddrs(id, info.Addrs, peerstore.PermanentAddrTTL)
		if len(h.Network().ConnsToPeer(id)) > 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := h.Connect(cctx, info); err != nil {
			n.log.Debug("cannot reach node", "peer", id, "err", err)
		}
		cancel()
	}
}

// connectKnown dials the peers remembered from the last run.
func (n *Node) connectKnown(ctx context.Context) {
	h := n.p2p.Host()
	for _, id := range n.loadKnownPeers() {
		if id == h.ID() || len(h.Network().ConnsToPeer(id)) > 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = h.Connect(cctx, h.Peerstore().PeerInfo(id)) // best effort; Raft retries too
		cancel()
	}
}
