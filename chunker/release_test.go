package chunker

import (
	"bytes"
	"context"
	"github.com/meridian-fed/meridian/errs"
	"slices"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
)

// releasing hands out copies of the stored shards and poisons every buffer given back, so a
// decoder that read a shard after releasing it would produce wrong bytes (then Corrupt).
type releasing struct {
	ShardSource
	mu               sync.Mutex
	handed, released int
	lost             int // drop this many shards per stripe (forces reconstruction)
	outstanding      map[*byte]bool
	releasedUnknown  int
}

func (r *releasing) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	got, err := r.ShardSource.Shards(ctx, stripe, cids, k)
	out := make([][]byte, len(got))
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, sh := range got {
		if i < r.lost || sh == nil {
			continue
		}
		out[i] = slices.Clone(sh)
		r.outstanding[&out[i][0]] = true
		r.handed++
	}
	return out, err
}

func (r *releasing) ReleaseShards(shards [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range shards {
		if b == nil {
			continue
		}
		switch {
		case !r.outstanding[&b[0]]:
			r.releasedUnknown++
		default:
			delete(r.outstanding, &b[0])
			r.released++
		}
		for i := range b {
			b[i] = 0xA5
		}
	}
}

// A ShardReleaser gets every buffer it handed out back exactly once, and poisoning them on
// release changes nothing in the output: the decoder is done with them when it releases.
func TestShardReleaserGetsEveryBufferBack(t *testing.T) {
	p := Params{K: 3, M: 2, StripeSize: S}
	data := readAllGen(t, 7, 5*S+11)
	dek := testDEK(t)
	res, st := encodeMem(t, data, p, dek)
	for _, lost := range []int{0, 2} {
		r := &releasing{ShardSource: st, lost: lost, outstanding: map[*byte]bool{}}
		var buf bytes.Buffer
		if err := DecodeParallel(context.Background(), res.Manifest, dek, r, &buf, 0, -1, 4); err != nil {
			t.Fatalf("lost %d: %v", lost, err)
		}
		if !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("lost %d: wrong bytes", lost)
		}
		if r.released != r.handed || len(r.outstanding) != 0 || r.releasedUnknown != 0 {
			t.Fatalf("lost %d: handed %d, released %d, outstanding %d, unknown %d", lost, r.handed, r.released, len(r.outstanding), r.releasedUnknown)
		}
	}
}

// A whole read whose bytes do not give the manifest's content CID fails with Corrupt, and the
// writer never receives the complete object: the end of the last stripe is held back until
// the check, so a reader always sees a short body, for one-stripe and many-stripe objects.
func TestWrongContentNeverWrittenWhole(t *testing.T) {
	dek := testDEK(t)
	for _, size := range []int{100, S, 3*S + 7} {
		data := readAllGen(t, 9, int64(size))
		res, st := encodeMem(t, data, Params{K: 3, M: 2, StripeSize: S}, dek)
		m := *res.Manifest
		m.Content = rawCID(sha256Sum([]byte("something else")))
		var buf bytes.Buffer
		err := Decode(context.Background(), &m, dek, st, &buf, 0, -1)
		if !errs.Is(err, errs.Corrupt) {
			t.Fatalf("size %d: %v, want Corrupt", size, err)
		}
		lastStripe := size - (size-1)/S*S
		if want := size - min(holdBack, lastStripe); buf.Len() > want {
			t.Fatalf("size %d: %d bytes written, want at most %d", size, buf.Len(), want)
		}
		if !bytes.HasPrefix(data, buf.Bytes()) {
			t.Fatalf("size %d: the bytes written are not a prefix of the object", size)
		}
	}
}
