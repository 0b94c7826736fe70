package wire

import (
	"encoding/binary"
	"errors"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// maxCIDLen bounds an encoded CID; sha2-256 CIDv1 is 36 bytes, 128 leaves room for others.
const maxCIDLen = 128

// Enc builds a frame payload from unsigned varints and length-prefixed byte strings.
type Enc struct{ b []byte }

// Uvarint appends an unsigned varint.
func (e *Enc) Uvarint(v uint64) *Enc { e.b = binary.AppendUvarint(e.b, v); return e }

// Bytes appends a length-prefixed byte string.
func (e *Enc) Bytes(p []byte) *Enc {
	e.Uvarint(uint64(len(p)))
	e.b = append(e.b, p...)
	return e
}

// CID appends a CID in its binary form.
func (e *Enc) CID(c cid.Cid) *Enc { return e.Bytes(c.Bytes()) }

// Raw appends bytes without a length.
func (e *Enc) Raw(p []byte) *Enc { e.b = append(e.b, p...); return e }

// Out returns the payload built so far.
func (e *Enc) Out() []byte { return e.b }

// errShort is the cause of every malformed payload.
var errShort = errors.New("malformed payload")

// Dec reads a payload written by Enc. The first malformed field sets Err and every later read
// returns zero values, so a decoder checks Err once at the end.
type Dec struct {
	b   []byte
	Err error
}

// NewDec returns a decoder over p.
func NewDec(p []byte) *Dec { return &Dec{b: p} }

func (d *Dec) fail(format string, args ...any) {
	if d.Err == nil {
		d.Err = errs.Errorf("wire.Dec", errs.Invalid, format, args...)
	}
	d.b = nil
}

// Uvarint reads an unsigned varint.
func (d *Dec) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint: %v", errShort)
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		d.fail("non-minimal varint") // one value, one encoding
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Bytes reads a length-prefixed byte string of at most max bytes. The result aliases the
// payload.
func (d *Dec) Bytes(max int) []byte {
	n := d.Uvarint()
	if d.Err != nil {
		return nil
	}
	if n > uint64(max) || n > uint64(len(d.b)) {
		d.fail("byte string of %d bytes (cap %d, %d left)", n, max, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

// CID reads a binary CID.
func (d *Dec) CID() cid.Cid {
	p := d.Bytes(maxCIDLen)
	if d.Err != nil {
		return cid.Undef
	}
	c, err := cid.Cast(p)
	if err != nil {
		d.fail("bad CID: %v", err)
		return cid.Undef
	}
	return c
}

// Rest returns the bytes not yet read.
func (d *Dec) Rest() []byte {
	p := d.b
	d.b = nil
	return p
}

// Done sets Err if bytes are left over and returns Err.
func (d *Dec) Done() error {
	if d.Err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.Err
}
