package repair

import (
	"bytes"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestRebuildEveryPairOfLosses(t *testing.T) {
	st, shards := encodedStripe(t, 3, 2, 256<<10)
	for a := range 5 {
		for b := a + 1; b < 5; b++ {
			in := append([][]byte(nil), shards...)
			in[a], in[b] = nil, nil
			out, err := Rebuild(st, 3, 2, in, []int{a, b})
			if err != nil {
				t.Fatalf("lose %d,%d: %v", a, b, err)
			}
			if !bytes.Equal(out[0], shards[a]) || !bytes.Equal(out[1], shards[b]) {
				t.Fatalf("lose %d,%d: rebuilt shards differ", a, b)
			}
			if in[a] != nil {
				t.Fatal("Rebuild wrote into the caller's slice")
			}
		}
	}
}

func TestRebuildIgnoresCorruptInput(t *testing.T) {
	st, shards := encodedStripe(t, 3, 2, 128<<10)
	rotten := bytes.Clone(shards[1])
	rotten[7] ^= 1
	in := [][]byte{nil, rotten, shards[2], shards[3], shards[4]} // k+1 present, one of them rotten
	out, err := Rebuild(st, 3, 2, in, []int{0})
	if err != nil || !bytes.Equal(out[0], shards[0]) {
		t.Fatalf("k good shards and one rotten: %v", err)
	}
	in = [][]byte{nil, rotten, shards[2], nil, shards[4]} // exactly k present, one rotten
	if _, err := Rebuild(st, 3, 2, in, []int{0, 3}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("k shards with one rotten: %v, want Unavailable", err)
	}
}

func TestRebuildRefusesWhatTheManifestDoesNotName(t *testing.T) {
	st, shards := encodedStripe(t, 3, 2, 128<<10)
	in := append([][]byte(nil), shards...)
	in[0] = nil
	lying := *st
	lying.Shards = append(lying.Shards[:0:0], st.Shards...)
	lying.Shards[0] = cidOf([]byte("not this shard"))
	if _, err := Rebuild(&lying, 3, 2, in, []int{0}); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("manifest naming another CID: %v, want Corrupt", err)
	}
	short := *st
	short.Sealed -= 3 * 64 // shards no longer the size the manifest implies
	if _, err := Rebuild(&short, 3, 2, in, []int{0}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("wrong sealed length: %v, want Unavailable", err)
	}
	if _, err := Rebuild(st, 3, 2, in, []int{5}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("shard out of range: %v, want Invalid", err)
	}
	if _, err := Rebuild(st, 4, 1, in, []int{0}); err == nil {
		t.Fatal("wrong k+m accepted")
	}
}
