package catalog

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"

	"github.com/meridian-fed/meridian/errs"
)

// encoder writes the snapshot's primitive values: unsigned varints, zig-zag varints, and
// length-prefixed byte strings. Everything written is also hashed.
type encoder struct {
	w   *bufio.Writer
	h   hash.Hash
	err error
	buf [binary.MaxVarintLen64]byte
}

func newEncoder(w io.Writer) *encoder {
	h := sha256.New()
	return &encoder{w: bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10), h: h}
}

func (e *encoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) uvarint(x uint64) { e.write(binary.AppendUvarint(e.buf[:0], x)) }
func (e *encoder) varint(x int64)   { e.write(binary.AppendVarint(e.buf[:0], x)) }
func (e *encoder) bytes(b []byte)   { e.uvarint(uint64(len(b))); e.write(b) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.write([]byte(s)) }

func (e *encoder) bool(b bool) {
	if b {
		e.uvarint(1)
	} else {
		e.uvarint(0)
	}
}

func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// finish flushes and returns the sha256 of everything written.
func (e *encoder) finish() (Hash, error) {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	var sum Hash
	e.h.Sum(sum[:0])
	return sum, e.err
}

// maxField bounds one length-prefixed field of a snapshot (a record is at most 1 MiB).
const maxField = 4 << 20

// decoder reads what encoder writes, hashing what it consumes. The first error sticks; every
// later read returns zero values, so callers check err once per entity.
type decoder struct {
	r    *bufio.Reader
	h    hash.Hash
	pend []byte // consumed bytes not yet hashed (hashing byte by byte is slow)
	err  error

	scratch []byte // see view
	nread   int    // bytes ReadByte returned since the current varint began

	version uint64 // of the snapshot being read

	// The last key of each table read so far, to check canonical order.
	lastMember, lastNode, lastUser, lastCatalog string
}

// consume hashes bytes the decoder has read.
func (d *decoder) consume(b []byte) {
	d.pend = append(d.pend, b...)
	if len(d.pend) >= 32<<10 {
		d.h.Write(d.pend)
		d.pend = d.pend[:0]
	}
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: bufio.NewReaderSize(r, 64<<10), h: sha256.New()}
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = errs.Errorf("catalog.ReadSnapshot", errs.Corrupt, "snapshot: "+format, args...)
	}
}

func (d *decoder) ReadByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err == nil {
		d.nread++
		d.pend = append(d.pend, b)
		d.consume(nil)
	}
	return b, err
}

// uvarint reads an unsigned varint in its shortest form only: one state, one encoding (a
// padded varint such as 0x80 0x00 for 0 would let two snapshots of one state differ).
func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	d.nread = 0
	x, err := binary.ReadUvarint(d)
	var short [binary.MaxVarintLen64]byte
	if err != nil {
		d.fail("truncated or bad varint: %v", err)
	} else if d.nread != binary.PutUvarint(short[:], x) {
		d.fail("varint of %d in %d bytes is not in its shortest form", x, d.nread)
	}
	return x
}

// varint reads a zig-zag varint in its shortest form only (see uvarint).
func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	d.nread = 0
	x, err := binary.ReadVarint(d)
	var short [binary.MaxVarintLen64]byte
	if err != nil {
		d.fail("truncated or bad varint: %v", err)
	} else if d.nread != binary.PutVarint(short[:], x) {
		d.fail("varint of %d in %d bytes is not in its shortest form", x, d.nread)
	}
	return x
}

func (d *decoder) bool() bool {
	switch d.uvarint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad boolean")
	return false
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > maxField {
		d.fail("field of %d bytes exceeds %d", n, maxField)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail("truncated field: %v", err)
		return nil
	}
	d.consume(b)
	return b
}

// view reads a length-prefixed field into the decoder's scratch buffer; the result is valid
// until the next read. Map lookups with string(view) do not allocate.
func (d *decoder) view() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > maxField {
		d.fail("field of %d bytes exceeds %d", n, maxField)
		return nil
	}
	if uint64(cap(d.scratch)) < n {
		d.scratch = make([]byte, n)
	}
	b := d.scratch[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail("truncated field: %v", err)
		return nil
	}
	d.consume(b)
	return b
}

func (d *decoder) str() string { return string(d.view()) }

func (d *decoder) fixed(dst []byte) {
	if d.err != nil {
		return
	}
	if _, err := io.ReadFull(d.r, dst); err != nil {
		d.fail("truncated: %v", err)
		return
	}
	d.consume(dst)
}

// count reads a list length, refusing lengths beyond limit.
func (d *decoder) count(limit uint64) int {
	n := d.uvarint()
	if n > limit {
		d.fail("list of %d entries exceeds %d", n, limit)
		return 0
	}
	return int(n)
}

func (d *decoder) strs(limit uint64) []string {
	n := d.count(limit)
	var out []string
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

// finish checks the trailing sha256 against the hash of everything read and that nothing
// follows it.
func (d *decoder) finish() {
	if d.err != nil {
		return
	}
	var want, got Hash
	d.h.Write(d.pend)
	d.h.Sum(got[:0])
	if _, err := io.ReadFull(d.r, want[:]); err != nil {
		d.fail("missing trailer: %v", err)
		return
	}
	if want != got {
		d.fail("checksum mismatch: the snapshot is damaged")
		return
	}
	if _, err := d.r.ReadByte(); !errors.Is(err, io.EOF) {
		d.fail("data after the trailer")
	}
}
