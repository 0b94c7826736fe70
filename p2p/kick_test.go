package p2p

import (
	"bytes"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

func kickCID(t testing.TB) cid.Cid {
	h, err := mh.Sum([]byte("manifest"), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, h)
}

func TestKickRoundTrip(t *testing.T) {
	k := Kick{Manifest: kickCID(t), Stripe: 300}
	k.Key[0], k.Key[31] = 7, 9
	got, err := DecodeKick(k.Encode())
	if err != nil || got.Key != k.Key || got.Stripe != k.Stripe || !got.Manifest.Equals(k.Manifest) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, k)
	}
	for _, bad := range [][]byte{nil, {2}, append([]byte{2}, k.Encode()[1:]...), k.Encode()[:34], append(k.Encode(), bytes.Repeat([]byte{1}, maxKick)...)} {
		if _, err := DecodeKick(bad); err == nil {
			t.Fatalf("DecodeKick(%x) accepted", bad)
		}
	}
}

func FuzzDecodeKick(f *testing.F) {
	k := Kick{Manifest: kickCID(f), Stripe: 3}
	f.Add(k.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodeKick(b)
		if err != nil {
			return
		}
		again, err := DecodeKick(k.Encode())
		if err != nil || again.Key != k.Key || again.Stripe != k.Stripe || !again.Manifest.Equals(k.Manifest) {
			t.Fatalf("re-decode of %x: %+v, %v", b, again, err)
		}
	})
}
