package chunker

import (
	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/errs"
)

// verifyShards puts into s.slots the shards whose bytes match their CIDs, and a zero-length
// buffer (to be rebuilt) in every other slot. It returns how many verified. The caller's shard
// buffers are only read, never written. With trusted, the source has already checked each
// shard against its CID, so only lengths are checked here (AES-GCM still authenticates the
// stripe: a lying source yields Corrupt, never wrong bytes).
func (c *codec) verifyShards(st *Stripe, got [][]byte, s *scratch, trusted bool) int {
	size := (st.Sealed + c.k - 1) / c.k
	s.shards = grow(s.shards, size*(c.k+c.m))
	s.slots = s.slots[:0]
	ok := 0
	for i, want := range st.Shards {
		var sh []byte
		if i < len(got) {
			sh = got[i]
		}
		if len(sh) == size && (trusted || blockhash.Matches(want, sh)) {
			s.slots = append(s.slots, sh)
			ok++
			continue
		}
		s.slots = append(s.slots, s.shards[i*size:i*size:(i+1)*size])
	}
	return ok
}

// decode rebuilds stripe index from any k verified shards into s.plain.
func (c *codec) decode(index int, last bool, st *Stripe, got [][]byte, s *scratch, trusted bool) error {
	if n := c.verifyShards(st, got, s, trusted); n < c.k {
		return errs.Errorf("", errs.Unavailable,
			"stripe %d: only %d of %d shards are present and match their CIDs, %d are needed; fetch the missing shards from other holders or repair the object",
			index, n, c.k+c.m, c.k)
	}
	if err := c.rs.ReconstructData(s.slots); err != nil {
		return errs.Errorf("", errs.Internal, "stripe %d: reconstruct: %v", index, err)
	}
	size := len(s.slots[0])
	sealed := grow(s.comp, c.k*size)
	for i := range c.k {
		copy(sealed[i*size:], s.slots[i])
	}
	s.comp = sealed
	ad := additionalData(st.Compressed, st.Length)
	if !st.Compressed {
		out, err := c.stream.Open(grow(s.plain, st.Length)[:0], uint64(index), last, sealed[:st.Sealed], ad)
		s.plain = out
		return err
	}
	payload, err := c.stream.Open(sealed[:0], uint64(index), last, sealed[:st.Sealed], ad)
	if err != nil {
		return err
	}
	return s.decompress(index, payload, st.Length)
}

// decompress inflates payload into s.plain, which must come out exactly length bytes long.
func (s *scratch) decompress(index int, payload []byte, length int) error {
	buf := grow(s.plain, length)[:0]
	out, err := zdec().DecodeAll(payload, buf[:0:length])
	if err != nil || len(out) != length {
		return errs.Errorf("", errs.Corrupt,
			"stripe %d: compressed payload does not inflate to its %d bytes; the object was encoded wrongly", index, length)
	}
	s.plain = out
	return nil
}
