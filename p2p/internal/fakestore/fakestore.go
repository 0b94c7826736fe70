// Package fakestore is a small in-memory store.Store for p2p's tests, with the knobs they use
// that store.Memory lacks: a Put error that lasts (PutErr), a count of Puts, the raw bytes of a
// block, and CIDs of the legacy sha2-256 form.
package fakestore

import (
	"context"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// Store keeps verified blocks in a map.
type Store struct {
	mu     sync.Mutex
	blocks map[cid.Cid][]byte // guarded by mu
	// PutErr, when set, fails every Put (e.g. errs.NoSpace).
	PutErr error
	puts   int // guarded by mu
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{blocks: map[cid.Cid][]byte{}} }

func verify(op string, c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if !got.Equals(c) {
		return errs.Errorf(op, errs.Corrupt, "bytes do not hash to %s", c)
	}
	return nil
}

// Put stores a copy of data after verifying it.
func (s *Store) Put(ctx context.Context, c cid.Cid, data []byte) error {
	if s.PutErr != nil {
		return s.PutErr
	}
	if err := verify("fakestore.Put", c, data); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks[c] = append([]byte(nil), data...)
	s.puts++
	return nil
}

// Get returns a copy of the block, verified.
func (s *Store) Get(ctx context.Context, c cid.Cid) ([]byte, error) {
	s.mu.Lock()
	b, ok := s.blocks[c]
	s.mu.Unlock()
	if !ok {
		return nil, errs.Errorf("fakestore.Get", errs.NotExist, "block %s not found", c)
	}
	if err := verify("fakestore.Get", c, b); err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// Has reports presence.
func (s *Store) Has(ctx context.Context, c cid.Cid) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.blocks[c]
	return ok, nil
}

// Stat returns the block's size.
func (s *Store) Stat(ctx context.Context, c cid.Cid) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blocks[c]
	if !ok {
		return 0, errs.Errorf("fakestore.Stat", errs.NotExist, "block %s not found", c)
	}
	return int64(len(b)), nil
}

// Delete removes a block.
func (s *Store) Delete(ctx context.Context, c cid.Cid) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocks, c)
	return nil
}

// Enumerate calls fn for every block.
func (s *Store) Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error {
	s.mu.Lock()
	sizes := make(map[cid.Cid]int64, len(s.blocks))
	for c, b := range s.blocks {
		sizes[c] = int64(len(b))
	}
	s.mu.Unlock()
	for c, n := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(c, n); err != nil {
			return err
		}
	}
	return nil
}

// Usage reports block count and bytes.
func (s *Store) Usage(ctx context.Context) (store.Usage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := store.Usage{Blocks: int64(len(s.blocks)), Free: 1 << 40}
	for _, b := range s.blocks {
		u.Used += int64(len(b))
	}
	return u, nil
}

// Corrupt flips a byte of a stored block (for scrub and verification tests).
func (s *Store) Corrupt(c cid.Cid) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.blocks[c]; len(b) > 0 {
		b[0] ^= 0xff
	}
}

// Puts counts successful Puts.
func (s *Store) Puts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts
}

// CID names data as a shard: CIDv1, raw codec, blake3.
func CID(data []byte) cid.Cid { return blockhash.Shard(data) }

// LegacyCID names data as shards were named before blake3: CIDv1, raw codec, sha2-256.
func LegacyCID(data []byte) cid.Cid {
	c, err := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: multihash.SHA2_256, MhLength: -1}.Sum(data)
	if err != nil {
		panic(err) // sha2-256 cannot fail
	}
	return c
}

// Raw returns the stored bytes without verifying them.
func (s *Store) Raw(c cid.Cid) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.blocks[c]...)
}
