package chunker

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/reedsolomon"
	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
)

// minGainPercent is the least compression gain worth keeping; below it the stripe is stored raw.
const minGainPercent = 3

// zstd encoder and decoder shared by every codec: their EncodeAll and DecodeAll are safe for
// concurrent use and keep per-goroutine state pooled.
var (
	zenc = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(0), zstd.WithZeroFrames(true))
		if err != nil {
			panic(err) // only for invalid options, which are constant
		}
		return e
	})
	zdec = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
			zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderMaxMemory(MaxStripeSize+1))
		if err != nil {
			panic(err)
		}
		return d
	})
)

// codec encodes and decodes single stripes of one object. Safe for concurrent use.
type codec struct {
	k, m   int
	stream *crypt.Stream
	rs     reedsolomon.Encoder
}

func newCodec(k, m int, dek []byte) (*codec, error) {
	stream, err := crypt.NewStream(dek)
	if err != nil {
		return nil, err
	}
	// One goroutine per call: parallelism comes from stripes in flight, not from inside RS.
	rs, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		return nil, errs.E("chunker.codec", errs.Invalid, err)
	}
	return &codec{k: k, m: m, stream: stream, rs: rs}, nil
}

// scratch holds the reusable buffers of one stripe in flight.
type scratch struct {
	plain  []byte   // plaintext of the stripe
	comp   []byte   // zstd output, or decompression target
	sample []byte   // pieces of plain probed for compressibility
	shards []byte   // k+m shards back to back (the sealed stripe is the first k of them)
	slots  [][]byte // views into shards
	leaves [][32]byte
	cids   []cid.Cid
}

// additionalData binds the format version, compressed flag and plaintext length of a stripe to
// its ciphertext, so a manifest that lies about them fails to decrypt.
func additionalData(compressed bool, length int) []byte {
	ad := make([]byte, 10)
	ad[0] = FormatVersion
	if compressed {
		ad[1] = 1
	}
	binary.BigEndian.PutUint64(ad[2:], uint64(length))
	return ad
}

// leafDigests hashes plain in LeafSize pieces, the leaves of the content CID.
func leafDigests(dst [][32]byte, plain []byte) [][32]byte {
	dst = dst[:0]
	for off := 0; off < len(plain); off += LeafSize {
		dst = append(dst, sha256.Sum256(plain[off:min(off+LeafSize, len(plain))]))
	}
	return dst
}

// grow returns b resized to n bytes, reusing its memory when large enough.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n)
}

// Sampling: a stripe of at least sampleMin bytes is first probed with sampleCount pieces of
// sampleLen bytes spread over it; when they gain less than 1% the stripe is stored raw without
// compressing it whole. Incompressible data (ciphertext, JPEG, packed rasters) then costs about
// 3% of a full zstd pass instead of 100%.
const (
	sampleMin   = 256 << 10
	sampleCount = 8
	sampleLen   = 8 << 10
)

// incompressible reports whether samples of plain compress by less than 1%.
func (s *scratch) incompressible(plain []byte) bool {
	if len(plain) < sampleMin {
		return false
	}
	s.sample = s.sample[:0]
	step := len(plain) / sampleCount
	for i := range sampleCount {
		s.sample = append(s.sample, plain[i*step:i*step+sampleLen]...)
	}
	s.comp = zenc().EncodeAll(s.sample, s.comp[:0])
	return len(s.comp)*100 > len(s.sample)*99
}

// compress returns the zstd form of plain when it gains at least minGainPercent.
func (s *scratch) compress(plain []byte) ([]byte, bool) {
	if len(plain) == 0 || s.incompressible(plain) {
		return plain, false
	}
	s.comp = zenc().EncodeAll(plain, s.comp[:0])
	if len(s.comp)*100 > len(plain)*(100-minGainPercent) {
		return plain, false
	}
	return s.comp, true
}

// encode turns s.plain into k+m shards and their CIDs, and returns the stripe's manifest entry.
func (c *codec) encode(index int, last bool, s *scratch) Stripe {
	payload, compressed := s.compress(s.plain)
	sealedLen := len(payload) + crypt.Overhead
	size := (sealedLen + c.k - 1) / c.k
	s.shards = grow(s.shards, size*(c.k+c.m))
	sealed := c.stream.Seal(s.shards[:0], uint64(index), last, payload, additionalData(compressed, len(s.plain)))
	clear(s.shards[len(sealed) : size*c.k])
	s.slots = s.slots[:0]
	for i := range c.k + c.m {
		s.slots = append(s.slots, s.shards[i*size:(i+1)*size:(i+1)*size])
	}
	if err := c.rs.Encode(s.slots); err != nil {
		panic(err) // shard count and sizes are ours: a failure is a bug
	}
	// The shards are hashed at once: a small object has a single stripe and no other worker
	// to keep the second core busy, and its publish waits for these CIDs.
	s.cids = slices.Grow(s.cids[:0], len(s.slots))[:len(s.slots)]
	var wg sync.WaitGroup
	for i, sh := range s.slots {
		wg.Go(func() { s.cids[i] = blockhash.Shard(sh) })
	}
	wg.Wait()
	return Stripe{Length: len(s.plain), Compressed: compressed, Sealed: sealedLen,
		Shards: append([]cid.Cid(nil), s.cids...)}
}
