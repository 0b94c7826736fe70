package node

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/meridian-fed/meridian/catalog"
)

// knownPeersFile remembers the federation's nodes and addresses across restarts, so a node
// whose catalog replica is still empty after a restart can dial and admit its peers before
// Raft has replayed the log (the catalog stays the authority once it has).
const knownPeersFile = "known-peers.json"

func (n *Node) loadKnownPeers() []peer.ID {
	b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, knownPeersFile))
	if err != nil {
		return nil
	}
	var known []nodeAddr
	if json.Unmarshal(b, &known) != nil {
		return nil
	}
	var ids []peer.ID
	for _, k := range known {
		id, err := peer.Decode(k.ID)
		if err != nil {
			continue
		}
		ids = append(ids, id)
		if info, err := addrInfo(id, k.Addrs); err == nil && n.p2p != nil {
			n.p2p.Host().Peerstore().AddAddrs(id, info.Addrs, peerstore.PermanentAddrTTL)
		}
	}
	return ids
}

// saveKnownPeers writes the catalog's nodes when they differ from what was last written.
func (n *Node) saveKnownPeers(last []nodeAddr) []nodeAddr {
	var cur []nodeAddr
	for _, nd := range n.state.Nodes(catalog.NodeActive, catalog.NodeDraining) {
		cur = append(cur, nodeAddr{ID: nd.PeerID, Addrs: nd.Addrs})
	}
	if len(cur) == 0 || slices.EqualFunc(cur, last, func(a, b nodeAddr) bool { return a.ID == b.ID && slices.Equal(a.Addrs, b.Addrs) }) {
		return last
	}
	b, _ := json.Marshal(cur)
	if err := writeFileSync(filepath.Join(n.cfg.DataDir, knownPeersFile), b, 0o600); err != nil {
		n.log.Warn("cannot save known peers", "err", err)
		return last
	}
	return cur
}

// inRaftConfig reports whether p is a server of the local Raft configuration.
func (n *Node) inRaftConfig(p peer.ID) bool {
	r := n.raftUp.Load() // the gater asks while consensus.New is still running
	if r == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ms, err := r.Members(ctx)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.ID == p {
			return true
		}
	}
	return false
}
