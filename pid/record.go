// Package pid encodes, signs and verifies publication records and names them by their
// persistent identifier, the CIDv1 (dag-cbor, sha2-256) of the record's canonical DAG-CBOR bytes.
//
// Records are canonical: Decode accepts exactly the bytes that Encode produces for the decoded
// record and rejects every other encoding of the same data, so a record has one PID.
package pid

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/meridian-fed/meridian/errs"
	mh "github.com/multiformats/go-multihash"
)

// Version is the record format version this package writes and reads.
const Version = 1

// MaxRecordSize bounds an encoded record; Decode refuses longer input before parsing it.
const MaxRecordSize = 1 << 20

// Record is a publication record: what was published, by whom, from what, and the publisher's
// signature over all of it. The zero value is not valid; fill the fields, Sign, then Encode.
//
// Field names in the encoding are given in the json tags. Optional fields (name, meta,
// derived_from, activity, publisher.user) are left out of the encoding when empty.
type Record struct {
	V           int64          `json:"v"`                      // format version, must be Version
	Content     cid.Cid        `json:"content"`                // content CID: CIDv1, raw or dag-pb, sha2-256
	SHA256      []byte         `json:"sha256"`                 // sha256 of the whole content, 32 bytes
	Size        int64          `json:"size"`                   // content length in bytes
	Type        string         `json:"type"`                   // media type, e.g. "image/tiff"
	Name        string         `json:"name,omitempty"`         // file name as published
	Catalog     string         `json:"catalog"`                // catalog the object was published into
	Meta        map[string]any `json:"meta,omitempty"`         // free-form metadata, see ValidateMeta
	DerivedFrom []cid.Cid      `json:"derived_from,omitempty"` // PIDs of the inputs, in the publisher's order
	Activity    *Activity      `json:"activity,omitempty"`     // the process that produced the content
	Publisher   Publisher      `json:"publisher"`
	Created     string         `json:"created"` // RFC 3339 time as claimed by the publisher
	Sig         []byte         `json:"sig"`     // ed25519 signature, see Sign
}

// Activity describes the process that derived the content from its inputs (PROV activity).
type Activity struct {
	Name     string            `json:"name"`               // required, e.g. "ndvi"
	Software string            `json:"software,omitempty"` // e.g. "gdal 3.8.4"
	Params   map[string]string `json:"params,omitempty"`   // parameters, values as strings
}

// Publisher says who published the record and which key signed it.
type Publisher struct {
	Member string            `json:"member"`         // member id, e.g. "aist"
	User   string            `json:"user,omitempty"` // user id within the member
	Key    ed25519.PublicKey `json:"key"`            // the key that signed the record
}

// Encode returns the canonical DAG-CBOR encoding of a valid, signed record.
func (r *Record) Encode() ([]byte, error) {
	const op = "pid.Encode"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := r.encode(true)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return b, nil
}

// encode builds the record's node (without "sig" when withSig is false) and serialises it.
func (r *Record) encode(withSig bool) ([]byte, error) {
	n, err := r.node(withSig)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := dagcbor.Encode(n, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode parses a record from its canonical DAG-CBOR encoding. It rejects input that is too
// large, not DAG-CBOR, of an unknown version, missing or carrying unknown fields, invalid, or
// not in canonical form (every key order, integer width and omitted-field choice but one).
// It does not check the signature; use Verify or VerifyRecord.
func Decode(b []byte) (*Record, error) {
	const op = "pid.Decode"
	if len(b) > MaxRecordSize {
		return nil, errs.Errorf(op, errs.Invalid, "record is %d bytes, more than the limit of %d", len(b), MaxRecordSize)
	}
	nb := basicnode.Prototype.Any.NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: 4 * MaxRecordSize, MaxDepth: maxMetaDepth + 4}
	if err := opts.Decode(nb, bytes.NewReader(b)); err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "record is not valid DAG-CBOR: %v", err)
	}
	r, err := fromNode(nb.Build())
	if err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	again, err := r.encode(true)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if !bytes.Equal(again, b) {
		return nil, errs.Errorf(op, errs.Invalid, "record is not in canonical DAG-CBOR form (key order, integer width or empty optional field); re-encode it with pid.Record.Encode")
	}
	return r, nil
}

// PID returns the record's persistent identifier: CIDv1(dag-cbor, sha2-256) of Encode().
func (r *Record) PID() (cid.Cid, error) {
	b, err := r.Encode()
	if err != nil {
		return cid.Undef, err
	}
	return Sum(b), nil
}

// Sum returns the PID of already encoded record bytes, without checking them.
func Sum(recordBytes []byte) cid.Cid {
	d := sha256.Sum256(recordBytes)
	m, err := mh.Encode(d[:], mh.SHA2_256)
	if err != nil {
		panic("pid: multihash of a sha256 digest failed: " + err.Error()) // cannot happen
	}
	return cid.NewCidV1(cid.DagCBOR, m)
}
