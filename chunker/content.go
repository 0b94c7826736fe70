package chunker

import (
	"crypto/sha256"
	"hash"

	"github.com/ipfs/go-cid"
)

// contentHasher builds the content CID of an object from its stripes, fed in order. When the
// stripe size is a multiple of LeafSize the workers have already hashed each stripe's leaves
// in parallel; smaller stripes (a divisor of LeafSize) are hashed here as they arrive.
type contentHasher struct {
	tree    *TreeBuilder
	aligned bool
	leaf    hash.Hash // the leaf being filled, for small stripes
	n       int       // bytes in leaf
}

func newContentHasher(stripeSize int) *contentHasher {
	return &contentHasher{tree: NewTreeBuilder(MaxLinks), aligned: leafAligned(stripeSize), leaf: sha256.New()}
}

// leafAligned reports whether stripes of this size hold whole leaves, so workers hash them.
func leafAligned(stripeSize int) bool { return stripeSize%LeafSize == 0 }

// add feeds the next stripe: its plaintext, and its leaf digests when aligned.
func (c *contentHasher) add(plain []byte, leaves [][32]byte) {
	if c.aligned {
		for i, d := range leaves {
			c.tree.AddLeaf(d, min(LeafSize, len(plain)-i*LeafSize))
		}
		return
	}
	for len(plain) > 0 {
		k := min(LeafSize-c.n, len(plain))
		c.leaf.Write(plain[:k])
		c.n += k
		plain = plain[k:]
		if c.n == LeafSize {
			c.flush()
		}
	}
}

func (c *contentHasher) flush() {
	var d [32]byte
	c.leaf.Sum(d[:0])
	c.tree.AddLeaf(d, c.n)
	c.leaf.Reset()
	c.n = 0
}

// root ends the object and returns its content CID.
func (c *contentHasher) root() cid.Cid {
	if c.n > 0 {
		c.flush()
	}
	return c.tree.Root()
}
