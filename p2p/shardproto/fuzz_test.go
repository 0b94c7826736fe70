package shardproto

import (
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// FuzzDecodeHas feeds arbitrary HAS payloads to the server's decoder: it must never panic,
// never return more CIDs than the cap, and what it accepts must re-encode identically.
func FuzzDecodeHas(f *testing.F) {
	f.Add(encodeHas([]cid.Cid{fakestore.CID([]byte("a")), fakestore.CID([]byte("b"))}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1, 36})
	f.Fuzz(func(t *testing.T, p []byte) {
		cids, err := decodeHas(p, 16)
		if err != nil {
			return
		}
		if len(cids) > 16 {
			t.Fatalf("%d CIDs passed a cap of 16", len(cids))
		}
		if got := encodeHas(cids); string(got) != string(p) {
			t.Fatalf("re-encoding differs: %x vs %x", got, p)
		}
	})
}
