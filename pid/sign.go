package pid

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	mh "github.com/multiformats/go-multihash"
)

// SignaturePrefix is prepended to the canonical encoding of the record without its "sig" field
// to form the message that the publisher signs. The prefix separates record signatures from
// anything else the same key signs (a node's libp2p handshakes, for example).
const SignaturePrefix = "meridian-record-v1\n"

// ErrBadSignature is the cause of the Invalid error returned when a record's signature does
// not verify under its publisher key: the record was altered or signed with another key.
var ErrBadSignature = errors.New("signature does not verify with the publisher key")

// SigningBytes returns the message that Sign signs: SignaturePrefix followed by the canonical
// DAG-CBOR encoding of the record without "sig".
func (r *Record) SigningBytes() ([]byte, error) {
	if err := r.validateUnsigned(); err != nil {
		return nil, err
	}
	b, err := r.encode(false)
	if err != nil {
		return nil, errs.E("pid.SigningBytes", errs.Internal, err)
	}
	return append([]byte(SignaturePrefix), b...), nil
}

// Sign signs the record with priv and stores the signature in Sig. Publisher.Key is set to
// priv's public key when empty; when set, it must be priv's public key.
func (r *Record) Sign(priv ed25519.PrivateKey) error {
	const op = "pid.Sign"
	if len(priv) != ed25519.PrivateKeySize {
		return errs.Errorf(op, errs.Invalid, "private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if len(r.Publisher.Key) == 0 {
		r.Publisher.Key = pub
	} else if !bytes.Equal(r.Publisher.Key, pub) {
		return errs.Errorf(op, errs.Invalid, "publisher.key is not the public key of the signing key; clear it or sign with the matching key")
	}
	msg, err := r.SigningBytes()
	if err != nil {
		return err
	}
	r.Sig = ed25519.Sign(priv, msg)
	return nil
}

// Verify checks that the record is valid and that Sig is Publisher.Key's signature over it.
// A bad signature is an Invalid error wrapping ErrBadSignature. Whether the key may publish for
// the member is the catalog's question, not this one.
func (r *Record) Verify() error {
	if err := r.Validate(); err != nil {
		return err
	}
	msg, err := r.SigningBytes()
	if err != nil {
		return err
	}
	if !ed25519.Verify(r.Publisher.Key, msg, r.Sig) {
		return errs.E("pid.Verify", errs.Invalid, ErrBadSignature)
	}
	return nil
}

// VerifyRecord checks record bytes against the PID that names them, offline: the bytes hash to
// the PID (else Corrupt: wrong or damaged bytes, fetch them again), they are a canonical valid
// record (else Invalid), and the signature verifies under the publisher key (else Invalid
// wrapping ErrBadSignature). It returns the decoded record.
func VerifyRecord(p cid.Cid, recordBytes []byte) (*Record, error) {
	const op = "pid.VerifyRecord"
	if err := checkPID(p); err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	dm, err := mh.Decode(p.Hash())
	if err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	if d := sha256.Sum256(recordBytes); !bytes.Equal(d[:], dm.Digest) {
		return nil, errs.Errorf(op, errs.Corrupt, "record bytes do not hash to PID %s; fetch the record again from another node", p)
	}
	r, err := Decode(recordBytes)
	if err != nil {
		return nil, err
	}
	if err := r.Verify(); err != nil {
		return nil, err
	}
	return r, nil
}
