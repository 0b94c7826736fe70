package chunker

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// memStore keeps encoded stripes in memory and serves them as a ShardSource, with knobs to lose
// or alter shards.
type memStore struct {
	mu     sync.Mutex
	shards map[int][][]byte // guarded by mu
	// alter, when set, may change what is served for a stripe (a copy; nil entries are missing).
	// It is called with mu held.
	alter func(stripe int, shards [][]byte) [][]byte
}

func newMemStore() *memStore { return &memStore{shards: map[int][][]byte{}} }

func (s *memStore) put(_ context.Context, es *EncodedStripe) error {
	if got := PlacementKey(es.CIDs); got != es.PlacementKey {
		return errors.New("placement key does not match the CIDs")
	}
	for i, sh := range es.Shards {
		// Checked with go-multihash's blake3 (lukechampine.com/blake3), not the encoder's.
		h, _ := mh.Sum(sh, mh.BLAKE3, 32)
		if c := cid.NewCidV1(cid.Raw, h); !c.Equals(es.CIDs[i]) {
			return errors.New("shard does not match its CID")
		}
	}
	cp := make([][]byte, len(es.Shards))
	for i, sh := range es.Shards {
		cp[i] = bytes.Clone(sh)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.shards[es.Index]; dup {
		return errors.New("stripe put twice")
	}
	s.shards[es.Index] = cp
	return nil
}

func (s *memStore) Shards(_ context.Context, stripe int, _ []cid.Cid, _ int) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([][]byte(nil), s.shards[stripe]...)
	if s.alter != nil {
		out = s.alter(stripe, out)
	}
	return out, nil
}

// encodeMem encodes data with params p into a new memStore.
func encodeMem(t testing.TB, data []byte, p Params, dek []byte) (*Result, *memStore) {
	t.Helper()
	st := newMemStore()
	res, err := Encode(context.Background(), bytes.NewReader(data), p, dek, st.put)
	if err != nil {
		t.Fatalf("encode %d bytes: %v", len(data), err)
	}
	return res, st
}

func decodeAll(m *Manifest, dek []byte, src ShardSource, off, length int64) ([]byte, error) {
	var buf bytes.Buffer
	err := Decode(context.Background(), m, dek, src, &buf, off, length)
	return buf.Bytes(), err
}
