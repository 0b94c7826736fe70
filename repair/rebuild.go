package repair

import (
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/reedsolomon"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// codecs caches one Reed-Solomon codec per (k, m): building one inverts nothing yet but sets up
// tables, and repair meets few distinct parameters.
var codecs sync.Map // [2]int → reedsolomon.Encoder

func codecFor(k, m int) (reedsolomon.Encoder, error) {
	key := [2]int{k, m}
	if c, ok := codecs.Load(key); ok {
		return c.(reedsolomon.Encoder), nil
	}
	c, err := reedsolomon.New(k, m)
	if err != nil {
		return nil, errs.E("repair.codec", errs.Invalid, err)
	}
	v, _ := codecs.LoadOrStore(key, c)
	return v.(reedsolomon.Encoder), nil
}

// ShardSize is the length of every shard of st under k data shards: the sealed stripe padded to
// a multiple of k, split in k (chunker's layout).
func ShardSize(st *chunker.Stripe, k int) int { return (st.Sealed + k - 1) / k }

// Rebuild reconstructs the shards of stripe st listed in want from the others, without any key:
// the shards are Reed-Solomon over ciphertext. shards[i] holds the bytes fetched for shard i, nil
// when absent; each is checked against its CID first and ignored when it does not match. The
// rebuilt shards, in the order of want, are checked against the manifest's CIDs before they are
// returned. Fewer than k good shards fail with Unavailable, a rebuilt shard that does not match
// its CID with Corrupt; shards is not modified.
func Rebuild(st *chunker.Stripe, k, m int, shards [][]byte, want []int) ([][]byte, error) {
	good := make([][]byte, k+m)
	for i := range good {
		if i < len(shards) && shards[i] != nil && i < len(st.Shards) && store.Verify(st.Shards[i], shards[i]) == nil {
			good[i] = shards[i]
		}
	}
	return rebuildVerified(st, k, m, good, want)
}

// rebuildVerified is Rebuild for shards already checked against their CIDs (nil otherwise).
// It fills the slots of want with rebuilt bytes; other missing slots stay nil.
func rebuildVerified(st *chunker.Stripe, k, m int, shards [][]byte, want []int) ([][]byte, error) {
	const op = "repair.Rebuild"
	if len(st.Shards) != k+m || len(shards) != k+m {
		return nil, errs.Errorf(op, errs.Invalid, "stripe has %d shard CIDs and %d shards, want %d", len(st.Shards), len(shards), k+m)
	}
	size, have := ShardSize(st, k), 0
	for i, sh := range shards {
		switch {
		case sh == nil:
		case len(sh) != size:
			shards[i] = nil // a verified shard of the wrong size means the manifest lies
		default:
			have++
		}
	}
	if have < k {
		return nil, errs.Errorf(op, errs.Unavailable,
			"only %d of %d shards are present and match their CIDs, %d are needed to rebuild the others; bring back nodes that hold them",
			have, k+m, k)
	}
	enc, err := codecFor(k, m)
	if err != nil {
		return nil, err
	}
	required := make([]bool, k+m)
	for _, i := range want {
		if i < 0 || i >= k+m {
			return nil, errs.Errorf(op, errs.Invalid, "shard %d is not in the stripe", i)
		}
		required[i] = true
	}
	if err := enc.ReconstructSome(shards, required); err != nil {
		return nil, errs.E(op, errs.Corrupt, err)
	}
	return pickVerified(st.Shards, shards, want)
}

// pickVerified returns shards[want...], each checked against its CID.
func pickVerified(cids []cid.Cid, shards [][]byte, want []int) ([][]byte, error) {
	out := make([][]byte, len(want))
	for j, i := range want {
		if err := store.Verify(cids[i], shards[i]); err != nil {
			return nil, errs.Errorf("repair.Rebuild", errs.Corrupt,
				"rebuilt shard %d does not match the manifest's CID: the other shards or the manifest are inconsistent; nothing was stored", i)
		}
		out[j] = shards[i]
	}
	return out, nil
}
