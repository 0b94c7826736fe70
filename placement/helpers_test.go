package placement

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
)

// peerID returns a valid, deterministic peer ID string for a test node name.
func peerID(t testing.TB, name string) string {
	t.Helper()
	h, err := mh.Sum([]byte(name), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return peer.ID(h).String()
}

// spec describes test nodes compactly: "member/region" per node.
func makeNodes(t testing.TB, prefix string, specs ...string) []Node {
	t.Helper()
	nodes := make([]Node, len(specs))
	for i, s := range specs {
		var member, region string
		if _, err := fmt.Sscanf(s, "%s", &member); err != nil {
			t.Fatal(err)
		}
		for j := range len(s) {
			if s[j] == '/' {
				member, region = s[:j], s[j+1:]
			}
		}
		nodes[i] = Node{ID: peerID(t, fmt.Sprintf("%s%d", prefix, i)), Member: member, Region: region,
			Active: true, FreeBytes: 1 << 40}
	}
	return nodes
}

// key returns a deterministic placement key for stripe i.
func key(i int) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}
