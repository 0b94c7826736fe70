package chunker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// countingSource records which stripes were asked for.
type countingSource struct {
	ShardSource
	mu    sync.Mutex
	asked []int // guarded by mu
}

func (c *countingSource) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	c.mu.Lock()
	c.asked = append(c.asked, stripe)
	c.mu.Unlock()
	return c.ShardSource.Shards(ctx, stripe, cids, k)
}

func TestRangeDecodeTouchesOnlyCoveredStripes(t *testing.T) {
	p := Params{K: 3, M: 2, StripeSize: S}
	data := readAllGen(t, 21, 6*S+10)
	dek := testDEK(t)
	res, st := encodeMem(t, data, p, dek)
	cases := []struct {
		off, length int64
		want        []int
	}{
		{0, 1, []int{0}},
		{S - 1, 2, []int{0, 1}},
		{S, S, []int{1}},
		{2*S + 5, 3 * S, []int{2, 3, 4, 5}},
		{6 * S, -1, []int{6}},
		{3 * S, 0, nil},
		{int64(len(data)), -1, nil},
	}
	for _, c := range cases {
		src := &countingSource{ShardSource: st}
		var buf bytes.Buffer
		if err := Decode(context.Background(), res.Manifest, dek, src, &buf, c.off, c.length); err != nil {
			t.Fatalf("range %d+%d: %v", c.off, c.length, err)
		}
		end := c.off + c.length
		if c.length < 0 {
			end = int64(len(data))
		}
		sort.Ints(src.asked)
		if !bytes.Equal(buf.Bytes(), data[c.off:end]) || !slices.Equal(src.asked, c.want) {
			t.Fatalf("range %d+%d: asked for stripes %v, want %v (bytes equal: %v)",
				c.off, c.length, src.asked, c.want, bytes.Equal(buf.Bytes(), data[c.off:end]))
		}
	}
	for _, r := range [][2]int64{{-1, 1}, {0, int64(len(data)) + 1}, {int64(len(data)) + 1, -1}} {
		if _, err := decodeAll(res.Manifest, dek, st, r[0], r[1]); !errs.Is(err, errs.Invalid) {
			t.Fatalf("range %v: got %v, want Invalid", r, err)
		}
	}
}

func TestDecodeWithWrongKeyIsCorrupt(t *testing.T) {
	data := readAllGen(t, 22, 2*S)
	res, st := encodeMem(t, data, Params{K: 3, M: 2, StripeSize: S}, testDEK(t))
	got, err := decodeAll(res.Manifest, testDEK(t), st, 0, -1)
	if !errs.Is(err, errs.Corrupt) || len(got) != 0 {
		t.Fatalf("wrong key: got %d bytes, %v; want no bytes and Corrupt", len(got), err)
	}
}

// TestDecodeRejectsReorderedStripes moves a stripe's shards (and manifest entry) to another
// position: the STREAM nonce makes it fail to authenticate.
func TestDecodeRejectsReorderedStripes(t *testing.T) {
	data := readAllGen(t, 23, 3*S)
	dek := testDEK(t)
	res, st := encodeMem(t, data, Params{K: 3, M: 2, StripeSize: S}, dek)
	m := *res.Manifest
	m.Stripes = slices.Clone(m.Stripes)
	m.Stripes[0], m.Stripes[1] = m.Stripes[1], m.Stripes[0]
	st.shards[0], st.shards[1] = st.shards[1], st.shards[0]
	if _, err := decodeAll(&m, dek, st, 0, S); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("reordered stripes: %v, want Corrupt", err)
	}
	// Dropping the last stripe (a truncated object) fails on the last flag.
	st.shards[0], st.shards[1] = st.shards[1], st.shards[0]
	m = *res.Manifest
	m.Stripes, m.Size = m.Stripes[:2], 2*S
	if _, err := decodeAll(&m, dek, st, S, S); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("truncated object: %v, want Corrupt", err)
	}
}

func TestEncodeStopsOnPutError(t *testing.T) {
	boom := errors.New("disk full")
	var mu sync.Mutex
	calls := 0
	put := func(context.Context, *EncodedStripe) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 {
			return boom
		}
		return nil
	}
	_, err := Encode(context.Background(), genReader(1, 20*S), Params{K: 3, M: 2, StripeSize: S}, testDEK(t), put)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the put error", err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrClosedPipe
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestEncodeReportsReadErrorAndCancel(t *testing.T) {
	p := Params{K: 3, M: 2, StripeSize: S}
	nop := func(context.Context, *EncodedStripe) error { return nil }
	_, err := Encode(context.Background(), &failingReader{n: 3*S + 5}, p, testDEK(t), nop)
	if !errors.Is(err, io.ErrClosedPipe) || !errs.Is(err, errs.Unavailable) {
		t.Fatalf("read error: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Encode(ctx, genReader(1, 10*S), p, testDEK(t), nop); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

func TestNilArgumentsAreInvalid(t *testing.T) {
	dek := testDEK(t)
	if _, err := Encode(context.Background(), nil, DefaultParams(), dek, nopPut); !errs.Is(err, errs.Invalid) {
		t.Errorf("nil reader: %v", err)
	}
	if _, err := Encode(context.Background(), bytes.NewReader(nil), DefaultParams(), dek, nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("nil put: %v", err)
	}
	if _, err := Encode(context.Background(), bytes.NewReader(nil), DefaultParams(), dek[:5], nopPut); !errs.Is(err, errs.Invalid) {
		t.Errorf("short key: %v", err)
	}
	if err := Decode(context.Background(), nil, dek, newMemStore(), io.Discard, 0, -1); !errs.Is(err, errs.Invalid) {
		t.Errorf("nil manifest: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	for _, size := range []int{MinStripeSize, 128 << 10, 512 << 10, S, 3 * S, MaxStripeSize} {
		if err := (Params{K: 3, M: 2, StripeSize: size}).Validate(); err != nil {
			t.Fatalf("stripe size %d: %v", size, err)
		}
	}
	for _, p := range []Params{{K: 0, M: 2, StripeSize: S}, {K: 3, M: 0, StripeSize: S},
		{K: 200, M: 57, StripeSize: S}, {K: 3, M: 2, StripeSize: S + 1}, {K: 3, M: 2, StripeSize: 0}, {K: 3, M: 2, StripeSize: 100 << 10}, {K: 3, M: 2, StripeSize: 32 << 10},
		{K: 3, M: 2, StripeSize: MaxStripeSize + S}, {K: 3, M: 2, StripeSize: S, Workers: -1}, {K: 3, M: 2, StripeSize: S, Workers: MaxWorkers + 1}} {
		if err := p.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: got %v, want Invalid", p, err)
		}
	}
}
