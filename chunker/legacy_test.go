package chunker

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/errs"
)

// legacyGolden reads testdata/manifest_v1_sha256.golden: the golden object's manifest as it
// was written before shards and manifests were named by blake3 (its CID and bytes). It is a
// frozen fixture, never regenerated.
func legacyGolden(t *testing.T) (cid.Cid, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/manifest_v1_sha256.golden")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	c, err := cid.Decode(strings.TrimPrefix(lines[0], "manifest cid "))
	if err != nil {
		t.Fatal(err)
	}
	var enc []byte
	for _, l := range lines[1:] {
		if strings.Contains(l, " ") {
			continue // content cid, placement keys
		}
		h, err := hex.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		enc = append(enc, h...)
	}
	return c, enc
}

// An object stored before blake3 is still read: its sha2-256 manifest decodes and checks
// against its CID, and its sha2-256 shards are verified one by one (a flipped shard is left
// out and rebuilt, not trusted), giving back the original bytes.
func TestLegacySHA256ObjectDecodes(t *testing.T) {
	mc, enc := legacyGolden(t)
	if mc.Prefix().MhType != mh.SHA2_256 || !ManifestMatches(mc, enc) {
		t.Fatalf("legacy manifest %s does not match its bytes", mc)
	}
	if ManifestCID(enc).Equals(mc) || !ManifestMatches(ManifestCID(enc), enc) {
		t.Fatal("new manifest CIDs should be blake3 and match the same bytes")
	}
	flipped := bytes.Clone(enc)
	flipped[len(flipped)/2] ^= 1
	if ManifestMatches(mc, flipped) {
		t.Fatal("a flipped manifest byte matches the legacy CID")
	}
	m, err := DecodeManifest(enc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Stripes {
		for _, c := range s.Shards {
			if c.Prefix().MhType != mh.SHA2_256 {
				t.Fatalf("legacy shard %s is not sha2-256", c)
			}
		}
	}
	// Encoding is deterministic for a fixed key, so today's shards are the legacy shards' bytes.
	data, dek, p := goldenObject(t)
	_, st := encodeMem(t, data, p, dek)
	st.alter = func(stripe int, shards [][]byte) [][]byte {
		bad := bytes.Clone(shards[0])
		bad[0] ^= 1
		return append([][]byte{bad}, shards[1:]...)
	}
	got, err := decodeAll(m, dek, st, 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("decode of the legacy object: %v (%d bytes)", err, len(got))
	}
	// Too many flipped shards: Unavailable, naming the stripe, never wrong bytes.
	st.alter = func(stripe int, shards [][]byte) [][]byte {
		out := append([][]byte(nil), shards...)
		for i := range m.M + 1 {
			out[i] = bytes.Clone(out[i])
			out[i][0] ^= 1
		}
		return out
	}
	if _, err := decodeAll(m, dek, st, 0, -1); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("decode with %d flipped shards: %v, want Unavailable", m.M+1, err)
	}
}

// New manifests name every shard with blake3 (checked with go-multihash's implementation),
// and Validate refuses shard CIDs of any other hash.
func TestShardsNamedByBLAKE3(t *testing.T) {
	res := goldenManifest(t)
	for _, s := range res.Manifest.Stripes {
		for _, c := range s.Shards {
			if p := c.Prefix(); p.MhType != mh.BLAKE3 || p.MhLength != 32 || p.Codec != cid.Raw {
				t.Fatalf("shard CID %s: %+v", c, p)
			}
		}
	}
	if p := res.ManifestCID.Prefix(); p.MhType != mh.BLAKE3 || p.Codec != cid.DagCBOR {
		t.Fatalf("manifest CID %s: %+v", res.ManifestCID, p)
	}
	m := *res.Manifest
	m.Stripes = append([]Stripe(nil), m.Stripes...)
	m.Stripes[0].Shards = append([]cid.Cid(nil), m.Stripes[0].Shards...)
	h, _ := mh.Sum([]byte("x"), mh.BLAKE2B_MAX, -1)
	m.Stripes[0].Shards[0] = cid.NewCidV1(cid.Raw, h)
	if err := m.Validate(); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("Validate with a blake2b shard CID: %v, want Corrupt", err)
	}
}
