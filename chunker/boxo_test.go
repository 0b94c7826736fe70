package chunker

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	bchunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// discardDAG is a DAGService that keeps nothing: boxo's importer then only hashes.
type discardDAG struct{}

func (discardDAG) Get(context.Context, cid.Cid) (ipld.Node, error) {
	return nil, ipld.ErrNotFound{}
}
func (discardDAG) GetMany(context.Context, []cid.Cid) <-chan *ipld.NodeOption {
	ch := make(chan *ipld.NodeOption)
	close(ch)
	return ch
}
func (discardDAG) Add(context.Context, ipld.Node) error        { return nil }
func (discardDAG) AddMany(context.Context, []ipld.Node) error  { return nil }
func (discardDAG) Remove(context.Context, cid.Cid) error       { return nil }
func (discardDAG) RemoveMany(context.Context, []cid.Cid) error { return nil }

// boxoCID builds the CID with boxo's balanced importer, as kubo's
// `ipfs add --only-hash --cid-version=1 --chunker=size-<leaf> --max-file-links=<maxLinks>`.
func boxoCID(t testing.TB, r io.Reader, leaf, maxLinks int) cid.Cid {
	t.Helper()
	prefix := cid.V1Builder{Codec: cid.DagProtobuf, MhType: mh.SHA2_256}
	p := helpers.DagBuilderParams{Maxlinks: maxLinks, RawLeaves: true, CidBuilder: prefix, Dagserv: discardDAG{}}
	db, err := p.New(bchunker.NewSizeSplitter(r, int64(leaf)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := balanced.Layout(db)
	if err != nil {
		t.Fatal(err)
	}
	return n.Cid()
}

// genReader is a deterministic pseudo-random stream of n bytes for seed.
func genReader(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8(seedBytes(seed)), n)
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}
