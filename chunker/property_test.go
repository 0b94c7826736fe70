package chunker

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

const S = LeafSize // stripe size in these tests

// propertySizes are the object sizes tried for a stripe size: empty, one byte, around one
// stripe, and many stripes with a short last one.
func propertySizes(stripe int) []int64 {
	s := int64(stripe)
	return []int64{0, 1, s - 1, s, s + 1, 5*s + 123}
}

var propertyParams = []Params{
	{K: 3, M: 2, StripeSize: S},
	{K: 4, M: 2, StripeSize: 2 * S},
	{K: 1, M: 1, StripeSize: S},
	{K: 10, M: 4, StripeSize: S},
	{K: 3, M: 2, StripeSize: MinStripeSize}, // stripes smaller than a UnixFS leaf
	{K: 4, M: 2, StripeSize: 256 << 10},
}

// stripeRand is the random source for one stripe: deterministic whatever order the decoder's
// workers ask for stripes in.
func stripeRand(seed uint64, stripe int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(stripe)))
}

// loseRandom drops up to n shards per stripe, choosing how many and which at random; dropped
// shards are either missing or damaged, which must be the same to the decoder.
func loseRandom(seed uint64, n int) func(int, [][]byte) [][]byte {
	return func(stripe int, shards [][]byte) [][]byte {
		rng := stripeRand(seed, stripe)
		for _, i := range rng.Perm(len(shards))[:rng.IntN(n+1)] {
			shards[i] = damage(rng, shards[i])
		}
		return shards
	}
}

// damage returns a missing or altered copy of sh.
func damage(rng *rand.Rand, sh []byte) []byte {
	switch rng.IntN(5) {
	case 0:
		return nil
	case 1:
		return sh[:rng.IntN(len(sh))] // truncated
	case 2:
		return make([]byte, len(sh)) // zeroed
	case 3:
		return append(bytes.Clone(sh), 0) // extended
	default:
		b := bytes.Clone(sh)
		b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8)) // one bit flipped
		return b
	}
}

func TestPropertyRoundTripUnderLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range propertyParams {
		for _, size := range propertySizes(p.StripeSize) {
			name := fmt.Sprintf("%d+%d/stripe=%dKiB/size=%d", p.K, p.M, p.StripeSize>>10, size)
			t.Run(name, func(t *testing.T) {
				data := readAllGen(t, rng.Uint64(), size)
				dek := testDEK(t)
				res, st := encodeMem(t, data, p, dek)
				if id, _ := ComputeContentID(bytes.NewReader(data)); id.CID != res.ContentCID || id.SHA256 != res.SHA256 {
					t.Fatalf("content CID %v, want %v", res.ContentCID, id.CID)
				}
				st.alter = loseRandom(rng.Uint64(), p.M)
				got, err := decodeAll(res.Manifest, dek, st, 0, -1)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("decode with up to %d losses: %v (same bytes: %v)", p.M, err, bytes.Equal(got, data))
				}
				checkRandomRange(t, rng, res, dek, st, data)
			})
		}
	}
}

func checkRandomRange(t *testing.T, rng *rand.Rand, res *Result, dek []byte, st *memStore, data []byte) {
	t.Helper()
	off := rng.Int64N(int64(len(data)) + 1)
	length := rng.Int64N(int64(len(data)) - off + 1)
	got, err := decodeAll(res.Manifest, dek, st, off, length)
	if err != nil || !bytes.Equal(got, data[off:off+length]) {
		t.Fatalf("range %d+%d: %v", off, length, err)
	}
}

func TestPropertyTooManyLossesNamesStripe(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range propertyParams {
		data := readAllGen(t, 9, 3*int64(p.StripeSize)+5)
		dek := testDEK(t)
		res, st := encodeMem(t, data, p, dek)
		bad, seed := rng.IntN(len(res.Manifest.Stripes)), rng.Uint64()
		st.alter = func(stripe int, shards [][]byte) [][]byte {
			rng := stripeRand(seed, stripe)
			if stripe == bad {
				for _, i := range rng.Perm(len(shards))[:p.M+1] {
					shards[i] = damage(rng, shards[i])
				}
			}
			return shards
		}
		got, err := decodeAll(res.Manifest, dek, st, 0, -1)
		if !bytes.HasPrefix(data, got) || len(got) > bad*p.StripeSize {
			t.Fatalf("wrote %d bytes that are not the object's first bytes before stripe %d", len(got), bad)
		}
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), fmt.Sprintf("stripe %d:", bad)) {
			t.Fatalf("%d+%d with %d losses in stripe %d: got %v, want an Unavailable error naming the stripe",
				p.K, p.M, p.M+1, bad, err)
		}
	}
}

// TestPropertySwappedShardsNeverDecodeWrong serves shards from other stripes of the same object
// and from another object encoded with the same parameters: they never count as data.
func TestPropertySwappedShardsNeverDecodeWrong(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := Params{K: 3, M: 2, StripeSize: S}
	data := readAllGen(t, 11, 4*S)
	other := readAllGen(t, 12, 4*S)
	dek := testDEK(t)
	res, st := encodeMem(t, data, p, dek)
	_, ost := encodeMem(t, other, p, dek) // same key: the worst case for a mix-up
	for _, swaps := range []int{1, p.M, p.M + 1, p.K + p.M} {
		seed := rng.Uint64()
		st.alter = func(stripe int, shards [][]byte) [][]byte {
			rng := stripeRand(seed, stripe)
			for _, i := range rng.Perm(len(shards))[:swaps] {
				if rng.IntN(2) == 0 {
					shards[i] = st.shards[(stripe+1)%4][i]
				} else {
					shards[i] = ost.shards[stripe][i]
				}
			}
			return shards
		}
		got, err := decodeAll(res.Manifest, dek, st, 0, -1)
		switch {
		case swaps <= p.M && (err != nil || !bytes.Equal(got, data)):
			t.Fatalf("%d swapped shards per stripe: %v", swaps, err)
		case !bytes.HasPrefix(data, got):
			t.Fatalf("%d swapped shards per stripe: wrong bytes written", swaps)
		case swaps > p.M && !errs.Is(err, errs.Unavailable):
			t.Fatalf("%d swapped shards per stripe: got %v, want Unavailable", swaps, err)
		}
	}
}
