package chunker

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
)

// FormatVersion is the manifest format this package writes and reads.
const FormatVersion = 1

const cipherID = crypt.CipherID

// CompressionZstd names zstd stripe compression in manifests.
const CompressionZstd = "zstd"

// MaxManifestSize bounds the manifests DecodeManifest accepts (about 350 TiB of object at
// 4 MiB stripes and 3+2).
const MaxManifestSize = 64 << 20

// Manifest is the storage layout of one object: how its plaintext was cut into stripes and which
// shards hold each stripe. It is encoded as canonical DAG-CBOR (see Encode).
type Manifest struct {
	Version     int      // FormatVersion
	Size        int64    // plaintext bytes
	K, M        int      // data and parity shards per stripe
	StripeSize  int      // plaintext bytes per stripe (the last may be shorter)
	Cipher      string   // crypt.CipherID
	Compression string   // CompressionZstd
	Content     cid.Cid  // content CID of the plaintext (UnixFS, see ComputeContentID)
	SHA256      [32]byte // sha256 of the whole plaintext
	Stripes     []Stripe // at least one; an empty object has one empty stripe
}

// Stripe describes one stripe in a manifest.
type Stripe struct {
	Length     int       // plaintext bytes
	Compressed bool      // zstd was applied before encryption
	Sealed     int       // ciphertext bytes (tag included) before Reed-Solomon padding
	Shards     []cid.Cid // k data then m parity shard CIDs (raw, sha2-256)
}

// PlacementKey is sha256 over the stripe's shard CIDs' bytes in order: the key the placement
// policy orders nodes by.
func (s *Stripe) PlacementKey() [32]byte { return PlacementKey(s.Shards) }

// PlacementKey is sha256 over the CIDs' bytes in order.
func PlacementKey(cids []cid.Cid) [32]byte {
	h := sha256.New()
	for _, c := range cids {
		h.Write(c.Bytes())
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Encode returns the canonical DAG-CBOR bytes of m: map keys in length-then-bytewise order,
// minimal integers, CIDs as tag 42. Equal manifests encode to equal bytes.
func (m *Manifest) Encode() ([]byte, error) {
	const op = "chunker.Manifest.Encode"
	if err := m.Validate(); err != nil {
		return nil, err
	}
	n, err := qp.BuildMap(basicnode.Prototype.Map, 10, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "v", qp.Int(int64(m.Version)))
		qp.MapEntry(ma, "k", qp.Int(int64(m.K)))
		qp.MapEntry(ma, "m", qp.Int(int64(m.M)))
		qp.MapEntry(ma, "size", qp.Int(m.Size))
		qp.MapEntry(ma, "stripe", qp.Int(int64(m.StripeSize)))
		qp.MapEntry(ma, "cipher", qp.String(m.Cipher))
		qp.MapEntry(ma, "compress", qp.String(m.Compression))
		qp.MapEntry(ma, "content", qp.Link(cidlink.Link{Cid: m.Content}))
		qp.MapEntry(ma, "sha256", qp.Bytes(m.SHA256[:]))
		qp.MapEntry(ma, "stripes", qp.List(int64(len(m.Stripes)), func(la datamodel.ListAssembler) {
			for i := range m.Stripes {
				qp.ListEntry(la, stripeNode(&m.Stripes[i]))
			}
		}))
	})
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	var buf bytes.Buffer
	if err := dagcbor.Encode(n, &buf); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return buf.Bytes(), nil
}

func stripeNode(s *Stripe) qp.Assemble {
	return qp.Map(4, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, "n", qp.Int(int64(s.Length)))
		qp.MapEntry(ma, "z", qp.Bool(s.Compressed))
		qp.MapEntry(ma, "sealed", qp.Int(int64(s.Sealed)))
		qp.MapEntry(ma, "shards", qp.List(int64(len(s.Shards)), func(la datamodel.ListAssembler) {
			for _, c := range s.Shards {
				qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
			}
		}))
	})
}

// ManifestCID is the CIDv1 (dag-cbor, blake3) of encoded manifest bytes.
func ManifestCID(encoded []byte) cid.Cid { return blockhash.Manifest(encoded) }

// ManifestMatches reports whether encoded manifest bytes hash to c, which may be a manifest
// CID of today (blake3) or of before (sha2-256): check fetched manifests with it, not by
// comparing with ManifestCID.
func ManifestMatches(c cid.Cid, encoded []byte) bool {
	return c.Defined() && c.Type() == cid.DagCBOR && blockhash.Matches(c, encoded)
}

// Validate checks that m is internally consistent: parameters in range, stripe lengths that add
// up to Size, k+m shard CIDs of the right kind per stripe. It fails with kind Corrupt.
func (m *Manifest) Validate() error {
	const op = "chunker.Manifest"
	bad := func(format string, a ...any) error {
		return errs.Errorf(op, errs.Corrupt, "invalid manifest: "+format, a...)
	}
	if m.Version != FormatVersion {
		return bad("format version %d; this build reads version %d (upgrade meridian)", m.Version, FormatVersion)
	}
	if err := (Params{K: m.K, M: m.M, StripeSize: m.StripeSize}).Validate(); err != nil {
		return bad("%v", err)
	}
	if m.Cipher != crypt.CipherID || m.Compression != CompressionZstd {
		return bad("unknown cipher %q or compression %q", m.Cipher, m.Compression)
	}
	if m.Size < 0 || len(m.Stripes) != stripeCount(m.Size, m.StripeSize) {
		return bad("%d stripes for %d bytes at stripe size %d", len(m.Stripes), m.Size, m.StripeSize)
	}
	if !m.Content.Defined() || m.Content.Prefix().MhType != sha256Code {
		return bad("content CID %v is not a sha2-256 CID", m.Content)
	}
	for i := range m.Stripes {
		if err := m.validateStripe(i); err != nil {
			return bad("stripe %d: %v", i, err)
		}
	}
	return nil
}

const sha256Code = 0x12

func (m *Manifest) validateStripe(i int) error {
	s := &m.Stripes[i]
	want := m.StripeSize
	if i == len(m.Stripes)-1 {
		want = int(m.Size - int64(i)*int64(m.StripeSize))
	}
	if s.Length != want {
		return fmt.Errorf("plaintext length %d, want %d", s.Length, want)
	}
	if s.Sealed < crypt.Overhead || s.Sealed > s.Length+crypt.Overhead ||
		(!s.Compressed && s.Sealed != s.Length+crypt.Overhead) {
		return fmt.Errorf("sealed length %d impossible for %d bytes", s.Sealed, s.Length)
	}
	if len(s.Shards) != m.K+m.M {
		return fmt.Errorf("%d shard CIDs, want %d", len(s.Shards), m.K+m.M)
	}
	for j, c := range s.Shards {
		if !isShardCID(c) {
			return fmt.Errorf("shard %d CID %v is not CIDv1 raw blake3 (or sha2-256)", j, c)
		}
	}
	return nil
}

func isShardCID(c cid.Cid) bool {
	if !c.Defined() {
		return false
	}
	return c.Version() == 1 && c.Type() == cid.Raw && blockhash.Supported(c)
}

// stripeCount is the number of stripes of an object: at least one, so that the last-stripe flag
// also authenticates an empty object.
func stripeCount(size int64, stripeSize int) int {
	if size <= 0 {
		return 1
	}
	return int((size + int64(stripeSize) - 1) / int64(stripeSize))
}
