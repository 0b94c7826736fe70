package chunker

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// lyingSource claims to verify shards but flips a byte in the first one it returns.
type lyingSource struct{ ShardSource }

func (l lyingSource) VerifiesShards() bool { return true }

func (l lyingSource) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	got, err := l.ShardSource.Shards(ctx, stripe, cids, k)
	out := make([][]byte, len(got))
	for i, sh := range got {
		out[i] = slices.Clone(sh)
	}
	for _, sh := range out {
		if len(sh) > 0 {
			sh[0] ^= 1
			break
		}
	}
	return out, err
}

// A source that says it verifies is trusted with hashing, not with the bytes: a lie still
// ends in Corrupt (AES-GCM authenticates every stripe), never in wrong bytes.
func TestVerifyingSourceThatLiesGivesCorrupt(t *testing.T) {
	p := Params{K: 3, M: 2, StripeSize: S}
	data := readAllGen(t, 5, 2*S+3)
	dek := testDEK(t)
	res, st := encodeMem(t, data, p, dek)
	var buf bytes.Buffer
	if err := Decode(context.Background(), res.Manifest, dek, verifying{st}, &buf, 0, -1); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("honest verifying source: %v", err)
	}
	buf.Reset()
	err := Decode(context.Background(), res.Manifest, dek, lyingSource{st}, &buf, 0, -1)
	if !errs.Is(err, errs.Corrupt) {
		t.Fatalf("lying source: err = %v, want corrupt", err)
	}
	if !bytes.HasPrefix(data, buf.Bytes()) {
		t.Fatal("lying source: wrong bytes were written")
	}
}

type verifying struct{ ShardSource }

func (verifying) VerifiesShards() bool { return true }
