package chunker

import (
	"bytes"
	"io"
	"testing"
)

func testDEK(t testing.TB) []byte {
	t.Helper()
	dek, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	return dek
}

func readAllGen(t testing.TB, seed uint64, n int64) []byte {
	t.Helper()
	b, err := io.ReadAll(genReader(seed, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTripSimple(t *testing.T) {
	p := Params{K: 3, M: 2, StripeSize: LeafSize}
	for _, size := range []int64{0, 1, 1000, LeafSize - 1, LeafSize, LeafSize + 1, 3*LeafSize + 7} {
		data := readAllGen(t, uint64(size), size)
		dek := testDEK(t)
		res, st := encodeMem(t, data, p, dek)
		id, _ := ComputeContentID(bytes.NewReader(data))
		if res.ContentCID != id.CID || res.SHA256 != id.SHA256 || res.Size != size {
			t.Fatalf("size %d: content id %v/%x, want %v/%x", size, res.ContentCID, res.SHA256, id.CID, id.SHA256)
		}
		got, err := decodeAll(res.Manifest, dek, st, 0, -1)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: decode: %v (got %d bytes)", size, err, len(got))
		}
	}
}
