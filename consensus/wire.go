package consensus

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// Frames on /meridian/propose/1.0.0 are a uvarint length followed by that many bytes; one
// request frame and one response frame per stream. Messages are versioned binary records of
// uvarint-prefixed fields, small enough to decode by hand and fuzz.

const (
	wireVersion = 1
	maxFrameCap = 16 << 20 // no frame is ever larger, whatever the config says
	frameSlack  = 4 << 10  // room for the fields around a command
	maxAddrs    = 32       // multiaddrs accepted in one membership request
	maxShortStr = 1024     // peer IDs, multiaddrs, messages

	// maxForwardInflight bounds the forwarded calls one node has open to the leader, below
	// libp2p's default per-peer stream limits.
	maxForwardInflight = 64
)

// op is what a forwarded request asks the leader to do.
type op uint8

const (
	opPropose op = iota + 1
	opAddVoter
	opAddNonvoter
	opRemoveServer
	opReadIndex
)

// request is a forwarded call.
type request struct {
	op      op
	timeout time.Duration // how long the caller will wait; the leader bounds its work by it
	cmd     []byte        // opPropose
	peer    string        // membership ops: the peer ID
	addrs   []string      // opAddVoter, opAddNonvoter: the peer's multiaddrs
}

// response is the leader's answer.
type response struct {
	kind     errs.Kind // errs.Other with an empty msg means success
	rejected bool      // the FSM refused the command (msg is its reason)
	msg      string
	value    []byte // opPropose: the FSM's result
	index    uint64 // opReadIndex: the read index; others: the log index, when known
	leader   string // on NotLeader: the peer ID the answering node believes is leader
}

var errTrailing = errors.New("trailing bytes")

func (r *request) marshal() []byte {
	b := []byte{wireVersion, byte(r.op)}
	b = binary.AppendUvarint(b, uint64(r.timeout/time.Millisecond))
	b = appendBytes(b, r.cmd)
	b = appendBytes(b, []byte(r.peer))
	b = binary.AppendUvarint(b, uint64(len(r.addrs)))
	for _, a := range r.addrs {
		b = appendBytes(b, []byte(a))
	}
	return b
}

func unmarshalRequest(b []byte) (*request, error) {
	d := decoder{b: b}
	if v := d.byte(); v != wireVersion && d.err == nil {
		return nil, errs.Errorf("consensus.unmarshalRequest", errs.Invalid, "wire version %d, want %d: upgrade the older node", v, wireVersion)
	}
	r := &request{op: op(d.byte())}
	r.timeout = time.Duration(min(d.uvarint(), uint64(time.Hour/time.Millisecond))) * time.Millisecond
	r.cmd = d.bytes(maxFrameCap)
	r.peer = string(d.bytes(maxShortStr))
	n := d.uvarint()
	if n > maxAddrs {
		d.fail(errs.Errorf("", errs.Invalid, "%d addresses, at most %d", n, maxAddrs))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		r.addrs = append(r.addrs, string(d.bytes(maxShortStr)))
	}
	if err := d.finish(); err != nil {
		return nil, errs.E("consensus.unmarshalRequest", errs.Invalid, err)
	}
	if r.op < opPropose || r.op > opReadIndex {
		return nil, errs.Errorf("consensus.unmarshalRequest", errs.Invalid, "unknown op %d", r.op)
	}
	return r, nil
}

func (r *response) marshal() []byte {
	b := []byte{wireVersion, byte(r.kind), 0}
	if r.rejected {
		b[2] = 1
	}
	b = appendBytes(b, []byte(r.msg))
	b = appendBytes(b, r.value)
	b = binary.AppendUvarint(b, r.index)
	return appendBytes(b, []byte(r.leader))
}

func unmarshalResponse(b []byte) (*response, error) {
	d := decoder{b: b}
	if v := d.byte(); v != wireVersion && d.err == nil {
		return nil, errs.Errorf("consensus.unmarshalResponse", errs.Invalid, "wire version %d, want %d: upgrade the older node", v, wireVersion)
	}
	r := &response{kind: errs.Kind(d.byte())}
	switch d.byte() {
	case 0:
	case 1:
		r.rejected = true
	default:
		d.fail(errors.New("bad rejected flag"))
	}
	r.msg = string(d.bytes(maxShortStr))
	r.value = d.bytes(maxFrameCap)
	r.index = d.uvarint()
	r.leader = string(d.bytes(maxShortStr))
	if err := d.finish(); err != nil {
		return nil, errs.E("consensus.unmarshalResponse", errs.Corrupt, err)
	}
	return r, nil
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

// decoder reads fields from a message, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail(io.ErrUnexpectedEOF)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errors.New("bad uvarint"))
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(limit int) []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(limit) || n > uint64(len(d.b)) {
		d.fail(io.ErrUnexpectedEOF)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	if n == 0 {
		return nil
	}
	return v
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errTrailing
	}
	return d.err
}

// writeFrame writes one length-prefixed frame.
func writeFrame(w io.Writer, body []byte) error {
	hdr := binary.AppendUvarint(nil, uint64(len(body)))
	if _, err := w.Write(append(hdr, body...)); err != nil {
		return errs.E("consensus.writeFrame", errs.Unavailable, err)
	}
	return nil
}

// readFrame reads one frame of at most limit bytes; the buffer is allocated only after the
// length passed the cap.
func readFrame(r *bufio.Reader, limit int) ([]byte, error) {
	const op = "consensus.readFrame"
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	if n > uint64(limit) {
		return nil, errs.Errorf(op, errs.Invalid, "frame of %d bytes exceeds the limit of %d", n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	return b, nil
}
