package blockhash

import (
	"bytes"
	"crypto/sha256"
	"hash"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	"github.com/zeebo/blake3"

	"github.com/meridian-fed/meridian/errs"
)

// BLAKE3 is the multihash code of blake3 (0x1e); names made here carry 32-byte digests.
const BLAKE3 = mh.BLAKE3

// Size is the digest length of every hash this package names or checks.
const Size = 32

// Shard is the CIDv1 (raw codec, blake3) of a shard's bytes.
func Shard(data []byte) cid.Cid { return name(cid.Raw, data) }

// Manifest is the CIDv1 (dag-cbor codec, blake3) of a manifest's encoded bytes.
func Manifest(encoded []byte) cid.Cid { return name(cid.DagCBOR, encoded) }

func name(codec uint64, data []byte) cid.Cid {
	d := blake3.Sum256(data)
	b := make([]byte, 0, 2+Size)
	b = append(b, byte(BLAKE3), Size) // both fit in one varint byte
	return cid.NewCidV1(codec, append(b, d[:]...))
}

// Supported reports whether c is a CIDv1 whose multihash this package can check: sha2-256
// or blake3, 32 bytes.
func Supported(c cid.Cid) bool {
	_, _, err := parse("", c)
	return err == nil
}

// CheckCID returns an Invalid error saying why c cannot name a block, or nil.
func CheckCID(op string, c cid.Cid) error {
	_, _, err := parse(op, c)
	return err
}

// IsBLAKE3 reports whether c names its bytes with a 32-byte blake3 digest.
func IsBLAKE3(c cid.Cid) bool {
	code, _, err := parse("", c)
	return err == nil && code == BLAKE3
}

// parse returns the hash code and digest of c, or an Invalid error.
func parse(op string, c cid.Cid) (uint64, []byte, error) {
	if !c.Defined() {
		return 0, nil, errs.Errorf(op, errs.Invalid, "empty CID")
	}
	if c.Version() != 1 {
		return 0, nil, errs.Errorf(op, errs.Invalid, "CID %s is version 0; blocks are named by CIDv1", c)
	}
	d, err := mh.Decode(c.Hash())
	if err != nil {
		return 0, nil, errs.Errorf(op, errs.Invalid, "CID %s: %v", c, err)
	}
	if (d.Code != mh.SHA2_256 && d.Code != BLAKE3) || len(d.Digest) != Size {
		return 0, nil, errs.Errorf(op, errs.Invalid, "CID %s uses hash %s/%d; blocks use blake3 or sha2-256 of 32 bytes", c, mh.Codes[d.Code], len(d.Digest))
	}
	return d.Code, d.Digest, nil
}

// Digester hashes bytes the way a CID names them, so a body can be checked as it streams.
type Digester struct {
	c    cid.Cid
	h    hash.Hash
	want []byte
}

// New returns a Digester for c, or an Invalid error when c's hash is not supported.
func New(op string, c cid.Cid) (*Digester, error) {
	code, want, err := parse(op, c)
	if err != nil {
		return nil, err
	}
	var h hash.Hash = sha256.New()
	if code == BLAKE3 {
		h = blake3.New()
	}
	return &Digester{c: c, h: h, want: want}, nil
}

// Write adds p to the hash; it never fails.
func (d *Digester) Write(p []byte) (int, error) { return d.h.Write(p) }

// Check returns nil when the bytes written hash to the CID, or a Corrupt error.
func (d *Digester) Check(op string) error {
	var buf [Size]byte
	if got := d.h.Sum(buf[:0]); !bytes.Equal(got, d.want) {
		return errs.Errorf(op, errs.Corrupt, "block %s: bytes do not match the CID (digest %x…)", d.c, got[:6])
	}
	return nil
}

// Verify checks that data hashes to c: Invalid for an unsupported CID, Corrupt for a
// mismatch. It hashes data whole (no streaming state), the fast path for a block in memory.
func Verify(op string, c cid.Cid, data []byte) error {
	code, want, err := parse(op, c)
	if err != nil {
		return err
	}
	var got [Size]byte
	if code == BLAKE3 {
		got = blake3.Sum256(data)
	} else {
		got = sha256.Sum256(data)
	}
	if !bytes.Equal(got[:], want) {
		return errs.Errorf(op, errs.Corrupt, "block %s: bytes do not match the CID (digest %x…)", c, got[:6])
	}
	return nil
}

// Matches reports whether data hashes to c (false for an unsupported CID).
func Matches(c cid.Cid, data []byte) bool { return Verify("", c, data) == nil }
