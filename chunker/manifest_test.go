package chunker

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// goldenObject is a fixed object with a fixed key: a compressible stripe, an incompressible
// one and a short last one, so the golden manifest covers both compressed flags.
func goldenObject(t testing.TB) ([]byte, []byte, Params) {
	t.Helper()
	text := bytes.Repeat([]byte("Meridian federated data network. "), S/33+1)[:S]
	data := append(text, readAllGen(t, 31, S+1000)...)
	dek := make([]byte, 32)
	for i := range dek {
		dek[i] = byte(i)
	}
	return data, dek, Params{K: 3, M: 2, StripeSize: S}
}

func goldenManifest(t testing.TB) *Result {
	t.Helper()
	data, dek, p := goldenObject(t)
	res, _ := encodeMem(t, data, p, dek)
	return res
}

// TestManifestGolden pins the manifest encoding: the same object and key give the same bytes and
// manifest CID. Regenerate testdata/manifest_v1.golden with -update only for a format change.
func TestManifestGolden(t *testing.T) {
	res := goldenManifest(t)
	m := res.Manifest
	if !m.Stripes[0].Compressed || m.Stripes[1].Compressed || len(m.Stripes) != 3 {
		t.Fatalf("golden object should have a compressed first stripe and 3 stripes: %+v", m.Stripes)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "manifest cid %s\ncontent cid %s\n", res.ManifestCID, res.ContentCID)
	for i := range m.Stripes {
		fmt.Fprintf(&b, "stripe %d placement key %x\n", i, m.Stripes[i].PlacementKey())
	}
	for off := 0; off < len(res.ManifestBytes); off += 32 {
		b.WriteString(hex.EncodeToString(res.ManifestBytes[off:min(off+32, len(res.ManifestBytes))]) + "\n")
	}
	checkGolden(t, "manifest_v1.golden", []byte(b.String()))
	if res.ManifestCID != ManifestCID(res.ManifestBytes) || res.ManifestCID.Prefix().Codec != cid.DagCBOR {
		t.Fatal("manifest CID is not the dag-cbor CID of the manifest bytes")
	}
}

func TestManifestDecodeRoundTrip(t *testing.T) {
	res := goldenManifest(t)
	m, err := DecodeManifest(res.ManifestBytes)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Encode()
	if err != nil || !bytes.Equal(again, res.ManifestBytes) {
		t.Fatalf("re-encode differs: %v", err)
	}
	if m.Content != res.ContentCID || m.SHA256 != res.SHA256 || m.Size != res.Size {
		t.Fatal("decoded manifest lost fields")
	}
}

func TestManifestDecodeRejects(t *testing.T) {
	res := goldenManifest(t)
	base := res.Manifest
	mutate := map[string]func(m *Manifest){
		"version 2":       func(m *Manifest) { m.Version = 2 },
		"size mismatch":   func(m *Manifest) { m.Size++ },
		"missing stripe":  func(m *Manifest) { m.Stripes = m.Stripes[:2] },
		"short shards":    func(m *Manifest) { m.Stripes[0].Shards = m.Stripes[0].Shards[:4] },
		"dag-pb shard":    func(m *Manifest) { m.Stripes[1].Shards[0] = m.Content },
		"sealed too long": func(m *Manifest) { m.Stripes[1].Sealed++ },
		"unknown cipher":  func(m *Manifest) { m.Cipher = "rot13" },
		"k zero":          func(m *Manifest) { m.K = 0 },
	}
	for name, f := range mutate {
		m := *base
		m.Stripes = append([]Stripe(nil), base.Stripes...)
		for i := range m.Stripes {
			m.Stripes[i].Shards = append([]cid.Cid(nil), base.Stripes[i].Shards...)
		}
		f(&m)
		if _, err := m.Encode(); !errs.Is(err, errs.Corrupt) {
			t.Errorf("%s: Encode gave %v, want Corrupt", name, err)
		}
	}
	b := res.ManifestBytes
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(bytes.Clone(b), 0), {0xa0}} {
		if _, err := DecodeManifest(bad); !errs.Is(err, errs.Corrupt) {
			t.Errorf("DecodeManifest(%d bytes): got %v, want Corrupt", len(bad), err)
		}
	}
}

// FuzzDecodeManifest: arbitrary bytes give an error or a manifest that re-encodes to exactly the
// same bytes (so one manifest has one CID), never a panic.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(goldenManifest(f).ManifestBytes)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			if !errs.Is(err, errs.Corrupt) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		again, err := m.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted manifest does not re-encode to its bytes: %v", err)
		}
	})
}
