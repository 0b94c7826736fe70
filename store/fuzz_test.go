package store

import (
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// FuzzParseName feeds arbitrary file names, as found on disk by a walk of the block
// directory, to parseName: it must never panic, and it may accept only a name that key()
// makes for the CID it returns, so a stray or renamed file is never taken for a block.
func FuzzParseName(f *testing.F) {
	h, _ := multihash.Sum([]byte("block"), multihash.SHA2_256, -1)
	c := cid.NewCidV1(cid.Raw, h)
	f.Add(key(c) + blockExt)
	f.Add(c.String() + blockExt)
	f.Add(cid.NewCidV0(h).String() + blockExt)
	f.Add("B" + key(c)[1:] + blockExt)
	f.Add(blockExt)
	b3, _ := multihash.Sum([]byte("block"), multihash.BLAKE3, 32) // how shards are named now
	f.Add(key(cid.NewCidV1(cid.Raw, b3)) + blockExt)
	f.Fuzz(func(t *testing.T, name string) {
		got, ok := parseName(name)
		if !ok {
			if got != cid.Undef {
				t.Fatalf("%q: refused but returned %s", name, got)
			}
			return
		}
		if got.Version() != 1 || key(got)+blockExt != name || len(key(got)) < 3 {
			t.Fatalf("%q accepted as %s, whose file name is %q", name, got, key(got)+blockExt)
		}
	})
}
