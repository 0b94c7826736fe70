package chunker

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

type fuzzObject struct {
	data []byte
	dek  []byte
	res  *Result
	st   *memStore
}

// fuzzObjs are small one-stripe objects (multi-stripe cases are in the property tests): one
// that compresses and one that does not, so both decode paths are fuzzed at speed.
var fuzzObjs = sync.OnceValue(func() [2]*fuzzObject {
	var objs [2]*fuzzObject
	random := make([]byte, 2000)
	rand.NewChaCha8([32]byte{41}).Read(random)
	for i, data := range [][]byte{bytes.Repeat([]byte("compressible "), 200), random} {
		dek := make([]byte, 32)
		st := newMemStore()
		res, err := Encode(context.Background(), bytes.NewReader(data), Params{K: 3, M: 2, StripeSize: S}, dek, st.put)
		if err != nil {
			panic(err)
		}
		objs[i] = &fuzzObject{data: data, dek: dek, res: res, st: st}
	}
	if !objs[0].res.Manifest.Stripes[0].Compressed || objs[1].res.Manifest.Stripes[0].Compressed {
		panic("fuzz objects do not cover both compression cases")
	}
	return objs
})

// FuzzDecodeShards feeds the decoder arbitrary bytes in place of one to three shards of a
// stripe: it must return the original bytes or an error, never a panic or wrong bytes.
func FuzzDecodeShards(f *testing.F) {
	for which, o := range fuzzObjs() {
		for slot, sh := range o.st.shards[0] {
			f.Add(uint8(which), uint8(slot), uint8(0), sh)
		}
	}
	f.Add(uint8(0), uint8(1), uint8(2), []byte("x"))
	f.Fuzz(func(t *testing.T, which, slot, spread uint8, b []byte) {
		o := fuzzObjs()[which%2]
		src := &memStore{shards: o.st.shards, alter: func(_ int, shards [][]byte) [][]byte {
			for i := range int(spread)%3 + 1 {
				shards[(int(slot)+i)%len(shards)] = b
			}
			return shards
		}}
		got, err := decodeAll(o.res.Manifest, o.dek, src, 0, -1)
		if err != nil {
			if errs.Is(err, errs.Internal) || !bytes.HasPrefix(o.data, got) {
				t.Fatalf("error %v after %d bytes (prefix ok: %v)", err, len(got), bytes.HasPrefix(o.data, got))
			}
			return
		}
		if !bytes.Equal(got, o.data) {
			t.Fatal("decoded wrong bytes without an error")
		}
	})
}
