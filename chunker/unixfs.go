package chunker

import (
	"crypto/sha256"
	"encoding/binary"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	mh "github.com/multiformats/go-multihash"
)

// LeafSize is the size of a UnixFS leaf in the content CID (kubo's --chunker=size-1048576).
const LeafSize = 1 << 20

// MaxLinks is the most links a UnixFS node of the content CID holds (kubo's --max-file-links).
const MaxLinks = 1024

// link is a child reference inside the UnixFS tree being built.
type link struct {
	cid      cid.Cid
	fileSize uint64 // content bytes under the child
	tsize    uint64 // cumulative serialized size of the child's DAG (dag-pb Tsize)
}

// TreeBuilder computes a UnixFS balanced-layout file CID from its leaves, given in order. It is
// streaming: it keeps one pending list of links per tree level, never the data. It reproduces
// boxo's balanced.Layout with raw leaves, CIDv1 and sha2-256 (see unixfs_test.go).
type TreeBuilder struct {
	maxLinks int
	levels   [][]link // levels[0] holds leaves not yet under a node, levels[1] height-1 nodes…
	leaves   int64
	first    link
}

// NewTreeBuilder returns a builder with at most maxLinks links per node (MaxLinks for the
// content CID; smaller values let tests reach deep trees with little data).
func NewTreeBuilder(maxLinks int) *TreeBuilder {
	return &TreeBuilder{maxLinks: maxLinks}
}

// AddLeaf appends the next leaf, given by the sha256 digest and length of its bytes.
func (b *TreeBuilder) AddLeaf(digest [32]byte, size int) {
	l := link{cid: rawCID(digest), fileSize: uint64(size), tsize: uint64(size)}
	if b.leaves == 0 {
		b.first = l
	}
	b.leaves++
	b.push(0, l)
}

// push adds l at level h and closes every level that becomes full, as boxo closes a node once
// it has maxLinks children.
func (b *TreeBuilder) push(h int, l link) {
	for len(b.levels) <= h {
		b.levels = append(b.levels, make([]link, 0, 8))
	}
	b.levels[h] = append(b.levels[h], l)
	if len(b.levels[h]) == b.maxLinks {
		n := fileNode(b.levels[h])
		b.levels[h] = b.levels[h][:0]
		b.push(h+1, n)
	}
}

// Root returns the CID of the file and ends the build: call it once, after the last AddLeaf. An empty file is the raw block of no bytes; a file of one
// leaf is that leaf; otherwise the root sits at the least height whose capacity holds every leaf.
func (b *TreeBuilder) Root() cid.Cid {
	switch b.leaves {
	case 0:
		return rawCID(sha256.Sum256(nil))
	case 1:
		return b.first.cid
	}
	depth, capacity := 1, int64(b.maxLinks)
	for capacity < b.leaves {
		depth++
		capacity *= int64(b.maxLinks)
	}
	for h := 0; h < depth; h++ {
		if h < len(b.levels) && len(b.levels[h]) > 0 {
			n := fileNode(b.levels[h])
			b.levels[h] = b.levels[h][:0]
			b.push(h+1, n)
		}
	}
	return b.levels[depth][0].cid
}

// fileNode encodes a dag-pb node with a UnixFS File payload over children and returns the link
// to it. The bytes match boxo's: links first (Hash, empty Name, Tsize), then Data.
func fileNode(children []link) link {
	var data []byte
	var total uint64
	for _, c := range children {
		total += c.fileSize
	}
	data = append(data, 0x08, 0x02, 0x18) // Type=File, Filesize
	data = binary.AppendUvarint(data, total)
	for _, c := range children {
		data = append(data, 0x20) // blocksizes
		data = binary.AppendUvarint(data, c.fileSize)
	}
	var node []byte
	tsize := uint64(0)
	for _, c := range children {
		h := c.cid.Bytes()
		var pl []byte
		pl = append(pl, 0x0a)
		pl = binary.AppendUvarint(pl, uint64(len(h)))
		pl = append(pl, h...)
		pl = append(pl, 0x12, 0x00, 0x18) // Name "", Tsize
		pl = binary.AppendUvarint(pl, c.tsize)
		node = append(node, 0x12)
		node = binary.AppendUvarint(node, uint64(len(pl)))
		node = append(node, pl...)
		tsize += c.tsize
	}
	node = append(node, 0x0a)
	node = binary.AppendUvarint(node, uint64(len(data)))
	node = append(node, data...)
	d := sha256.Sum256(node)
	return link{cid: cid.NewCidV1(cid.DagProtobuf, sha256Multihash(d)), fileSize: total,
		tsize: tsize + uint64(len(node))}
}

// sha256Multihash wraps a sha256 digest as a multihash without rehashing.
func sha256Multihash(d [32]byte) mh.Multihash {
	b := make([]byte, 0, 34)
	b = append(b, mh.SHA2_256, 32)
	return append(b, d[:]...)
}

// rawCID is the CIDv1 (raw codec, sha2-256) of bytes whose sha256 is d.
func rawCID(d [32]byte) cid.Cid { return cid.NewCidV1(cid.Raw, sha256Multihash(d)) }

// ContentID is what `meridian cid` prints: the content CID, the whole-content sha256 and size.
type ContentID struct {
	CID    cid.Cid
	SHA256 [32]byte
	Size   int64
}

// ComputeContentID reads r to EOF and returns its content CID, sha256 and size. It keeps one
// leaf in memory.
func ComputeContentID(r io.Reader) (ContentID, error) {
	const op = "chunker.ComputeContentID"
	tb := NewTreeBuilder(MaxLinks)
	whole := sha256.New()
	buf := make([]byte, LeafSize)
	var id ContentID
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			whole.Write(buf[:n])
			tb.AddLeaf(sha256.Sum256(buf[:n]), n)
			id.Size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return ContentID{}, errs.E(op, errs.Unavailable, err)
		}
	}
	id.CID = tb.Root()
	copy(id.SHA256[:], whole.Sum(nil))
	return id, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
