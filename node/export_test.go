package node

import "github.com/meridian-fed/meridian/consensus"

// RaftOf exposes a node's consensus client to the external tests, which use it to send raw
// membership frames to the leader, as an attacker holding the node's key could.
func RaftOf(n *Node) *consensus.Node { return n.raft }
