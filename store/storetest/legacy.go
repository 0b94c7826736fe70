package storetest

import (
	"bytes"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// testLegacySHA256: blocks named by sha2-256 (before shards and manifests moved to blake3)
// are still stored, read and checked; bytes that do not match are Corrupt under either hash.
func testLegacySHA256(t *testing.T, h Harness) {
	s := h.New(t, 0)
	_, data := Block(t, 7, 3000, cid.Raw)
	for _, codec := range []uint64{cid.Raw, cid.DagCBOR} {
		c := LegacyCID(t, data, codec)
		mustPut(t, s, c, data)
		got, err := s.Get(ctx(t), c)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get of a sha2-256 block: %v", err)
		}
	}
	_, other := Block(t, 8, 3000, cid.Raw)
	if err := s.Put(ctx(t), LegacyCID(t, data, cid.Raw), other); !errs.Is(err, errs.Corrupt) {
		t.Errorf("Put of bytes that do not match a sha2-256 CID: %v, want Corrupt", err)
	}
	if err := s.Put(ctx(t), CID(t, data, cid.Raw), other); !errs.Is(err, errs.Corrupt) {
		t.Errorf("Put of bytes that do not match a blake3 CID: %v, want Corrupt", err)
	}
}
