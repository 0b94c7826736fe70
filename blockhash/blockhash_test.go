package blockhash

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/errs"
)

func mustSum(t testing.TB, codec uint64, data []byte, code uint64, length int) cid.Cid {
	t.Helper()
	h, err := mh.Sum(data, code, length)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(codec, h)
}

// The names are real BLAKE3: the empty input's published digest, and the same CID that
// go-multihash (another BLAKE3 implementation, lukechampine.com/blake3) computes.
func TestNamesAreBLAKE3(t *testing.T) {
	empty := Shard(nil)
	d, _ := mh.Decode(empty.Hash())
	if hex.EncodeToString(d.Digest) != "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262" || d.Code != BLAKE3 {
		t.Fatalf("blake3(\"\") = %x (code %#x)", d.Digest, d.Code)
	}
	data := bytes.Repeat([]byte("meridian shard "), 100_000)
	if got, want := Shard(data), mustSum(t, cid.Raw, data, mh.BLAKE3, 32); !got.Equals(want) {
		t.Errorf("Shard = %s, go-multihash says %s", got, want)
	}
	if got, want := Manifest(data), mustSum(t, cid.DagCBOR, data, mh.BLAKE3, 32); !got.Equals(want) {
		t.Errorf("Manifest = %s, go-multihash says %s", got, want)
	}
	if p := Shard(data).Prefix(); p.Version != 1 || p.Codec != cid.Raw || p.MhLength != 32 {
		t.Errorf("shard prefix %+v", p)
	}
	if !IsBLAKE3(Shard(data)) || IsBLAKE3(mustSum(t, cid.Raw, data, mh.SHA2_256, -1)) {
		t.Error("IsBLAKE3 wrong")
	}
}

// Both hashes are checked, whole and streamed; a flipped byte is Corrupt, and a CID this
// package cannot check is Invalid (never silently accepted).
func TestVerify(t *testing.T) {
	data := bytes.Repeat([]byte{1, 2, 3, 5, 8}, 300_000)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 1
	for name, c := range map[string]cid.Cid{
		"blake3": Shard(data),
		"sha256": mustSum(t, cid.Raw, data, mh.SHA2_256, -1),
		"cbor":   Manifest(data),
	} {
		if err := Verify("t", c, data); err != nil || !Matches(c, data) {
			t.Errorf("%s: Verify = %v", name, err)
		}
		if err := Verify("t", c, bad); !errs.Is(err, errs.Corrupt) || Matches(c, bad) {
			t.Errorf("%s: Verify(bad) = %v, want Corrupt", name, err)
		}
		for _, in := range [][]byte{data, bad} {
			d, err := New("t", c)
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < len(in); off += 100_003 {
				_, _ = d.Write(in[off:min(off+100_003, len(in))])
			}
			if got, want := d.Check("t") == nil, bytes.Equal(in, data); got != want {
				t.Errorf("%s: streamed check %v, want %v", name, got, want)
			}
		}
	}
	for name, c := range map[string]cid.Cid{
		"blake2b":      mustSum(t, cid.Raw, data, mh.BLAKE2B_MAX, -1),
		"short blake3": mustSum(t, cid.Raw, data, mh.BLAKE3, 16),
		"long blake3":  mustSum(t, cid.Raw, data, mh.BLAKE3, 64),
		"cidv0":        cid.NewCidV0(mustSum(t, cid.Raw, data, mh.SHA2_256, -1).Hash()),
		"undefined":    cid.Undef,
	} {
		if err := Verify("t", c, data); !errs.Is(err, errs.Invalid) || Supported(c) {
			t.Errorf("%s: Verify = %v, want Invalid", name, err)
		}
		if _, err := New("t", c); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: New = %v, want Invalid", name, err)
		}
	}
}

// FuzzVerify feeds arbitrary CID bytes (they arrive in shard requests and manifests) and
// data: no panic, only Invalid or Corrupt errors, and Verify agrees with the streamed check.
func FuzzVerify(f *testing.F) {
	f.Add(Shard([]byte("x")).Bytes(), []byte("x"))
	f.Add(Manifest([]byte("y")).Bytes(), []byte("x"))
	f.Add([]byte{1, 0x55, 0x1e, 0x20}, []byte{})
	f.Fuzz(func(t *testing.T, cb, data []byte) {
		c, err := cid.Cast(cb)
		if err != nil {
			return
		}
		verr := Verify("f", c, data)
		if verr != nil && !errs.Is(verr, errs.Invalid) && !errs.Is(verr, errs.Corrupt) {
			t.Fatalf("error of kind %v: %v", errs.KindOf(verr), verr)
		}
		d, err := New("f", c)
		if err != nil {
			if !errs.Is(verr, errs.Invalid) {
				t.Fatalf("New refused (%v) what Verify did not (%v)", err, verr)
			}
			return
		}
		_, _ = d.Write(data)
		if (d.Check("f") == nil) != (verr == nil) {
			t.Fatalf("streamed check and Verify disagree for %s", c)
		}
	})
}

func BenchmarkShard(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Shard(data)
	}
}
