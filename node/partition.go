package node

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// peerSet is a concurrency-safe set of peers.
type peerSet struct {
	mu  sync.RWMutex
	ids map[peer.ID]bool // guarded by mu
}

func (s *peerSet) has(p peer.ID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ids[p]
}

func (s *peerSet) set(ids []peer.ID) {
	m := make(map[peer.ID]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	s.mu.Lock()
	s.ids = m
	s.mu.Unlock()
}

// Partition cuts this node off from the given peers, as a network partition would: the gate
// refuses them in both directions and current connections to them are closed. It exists for
// fault-injection tests (package testnet); Heal undoes it.
func (n *Node) Partition(ids ...peer.ID) {
	n.blocked.set(ids)
	n.p2p.EnforceMembership()
}

// Heal lifts a Partition.
func (n *Node) Heal() { n.blocked.set(nil) }
