package placement

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// scored is an entry index with its score for one key.
type scored struct {
	score [4]uint64 // sha256(key XOR point), big-endian words: lower ranks first
	i     int       // index into Plan.entries
}

// rank orders the entries idx for key by score = sha256(key XOR sha256(peer ID bytes)), lowest
// first. That is rendezvous (highest-random-weight) hashing over the Kademlia XOR distance: every
// node computes it from the membership alone, each node is equally likely at each rank, and a
// node joining or leaving changes no other node's relative order. Ranking by the XOR distance
// itself would follow the shape of the ID trie: a node alone in one half of the key space would
// be closest to half of all keys (max/mean load 1.46 at k+m=3 of 10 nodes, see
// docs/placement.md). Scores differ whenever points differ (NewPlan rejects equal points)
// except for a sha256 collision, and ties fall back to the points, so the order is total and
// independent of the input order.
func (pl *Plan) rank(key [32]byte, idx []int) []scored {
	out := make([]scored, len(idx))
	var d [32]byte
	for j, i := range idx {
		p := &pl.entries[i].point
		for b := range d {
			d[b] = key[b] ^ p[b]
		}
		out[j] = scored{score: words(sha256.Sum256(d[:])), i: i}
	}
	slices.SortFunc(out, func(a, b scored) int {
		if a.score[0] != b.score[0] { // decides all but one in 2^64 comparisons
			return cmp.Compare(a.score[0], b.score[0])
		}
		if c := slices.Compare(a.score[:], b.score[:]); c != 0 {
			return c
		}
		return bytes.Compare(pl.entries[a.i].point[:], pl.entries[b.i].point[:])
	})
	return out
}

func words(b [32]byte) [4]uint64 {
	var w [4]uint64
	for i := range w {
		w[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return w
}
