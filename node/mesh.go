package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
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
	var reach reachability
	for {
		n.connectMembers(ctx)
		if back := reach.update(n.connectedNodes()); back > 0 {
			n.kickRepair("a node connected")
		}
		saved = n.saveKnownPeers(saved)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.memberCh:
			n.p2p.EnforceMembership() // closes connections of removed peers
			n.reconcileRaft(ctx)
		}
	}
}

// reachability remembers which registered nodes were connected at the mesh loop's last
// round, so a node that connects (restarted, partition healed, joined) wakes the repair loop:
// its missing shards are restored at once instead of at the next interval. Every node kicks
// its own loop, because the one node responsible for a stripe may not be the one that saw the
// other go. Owned by meshLoop.
type reachability struct {
	last    map[string]bool // connected at the last round; nil before the first
	started bool
}

// update takes the nodes connected now and returns how many were not connected at the last
// round (none at the first round: those are this node's own start).
func (r *reachability) update(connected map[string]bool) (back int) {
	for id := range connected {
		if r.started && !r.last[id] {
			back++
		}
	}
	r.last, r.started = connected, true
	return back
}

// connectedNodes returns the active and draining nodes (other than this one) the host has a
// connection to.
func (n *Node) connectedNodes() map[string]bool {
	net := n.p2p.Host().Network()
	out := map[string]bool{}
	for _, nd := range n.state.Nodes(catalog.NodeActive, catalog.NodeDraining) {
		id, err := decodePeer(nd.PeerID)
		if err == nil && id != n.PeerID() && net.Connectedness(id) == network.Connected {
			out[nd.PeerID] = true
		}
	}
	return out
}

// membershipChanged wakes meshLoop; it never blocks (the apply goroutine calls it).
func (n *Node) membershipChanged() {
	select {
	case n.memberCh <- struct{}{}:
	default:
	}
}

// reconcileRaft, on the leader, removes from the Raft configuration the servers the catalog
// no longer lists as active or draining (set gone, or of a retired member), so they stop
// counting toward quorum and lose the Raft protocol.
func (n *Node) reconcileRaft(ctx context.Context) {
	if !n.raft.IsLeader() {
		return
	}
	ms, err := n.raft.Members(ctx)
	if err != nil {
		return
	}
	for _, m := range ms {
		if m.ID == n.PeerID() || n.state.IsRegisteredPeer(m.ID.String()) {
			continue
		}
		if _, err := n.state.Node(m.ID.String()); err != nil {
			continue // unknown to the catalog (e.g. replay not done): leave it
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := n.removeFromRaft(cctx, m.ID); err != nil {
			n.log.Warn("cannot remove a gone node from Raft", "peer", m.ID, "err", err)
		}
		cancel()
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
