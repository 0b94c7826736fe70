package node

import (
	"crypto/ed25519"

	"github.com/meridian-fed/meridian/consensus"
)

// RaftOf exposes a node's consensus client to the external tests, which use it to send raw
// membership frames to the leader, as an attacker holding the node's key could.
func RaftOf(n *Node) *consensus.Node { return n.raft }

// SignKeyOf exposes a node's signing key (its libp2p identity) to the external tests, which
// play a modified node of its member: one that writes commands the API would not.
func SignKeyOf(n *Node) ed25519.PrivateKey { return n.signKey }
