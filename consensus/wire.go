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
	wireVersion  = 1
	maxFrameCap  = 16 << 20 // no frame is ever larger, whatever the config says
	frameSlack   = 4 << 10  // room for the fields around a command
	maxAddrs     = 32       // multiaddrs accepted in one membership request
	maxBatchCmds = 1024     // commands in one forwarded propose
	maxShortStr  = 1024     // peer IDs, multiaddrs, messages

	// maxForwardInflight bounds the forwarded calls one node has open to the leader, below
	// libp2p's default per-peer stream limits.
	maxForwardInflight = 64
)

// opcode is what a forwarded request asks the leader to do.
type opcode uint8

const (
	opPropose opcode = iota + 1
	opAddVoter
	opAddNonvoter
	opRemoveServer
	opReadIndex
	opProbeIndex // a read index without a follower's barrier (Node.CatchUp)
)

// request is a forwarded call.
type request struct {
	op      opcode
	timeout time.Duration // how long the caller will wait; the leader bounds its work by it
	cmds    [][]byte      // opPropose: a batch of commands, applied in order
	peer    string        // membership ops: the peer ID
	addrs   []string      // opAddVoter, opAddNonvoter: the peer's multiaddrs
}

// result is the outcome of one call or of one command of a batch.
type result struct {
	kind     errs.Kind // errs.Other with an empty msg means success
	rejected bool      // the FSM refused the command (msg is its reason)
	msg      string
	value    []byte // the FSM's result
	index    uint64 // opReadIndex: the read index; opPropose: the command's log index
}

// response is the leader's answer.
type response struct {
	result           // the call as a whole
	leader  string   // on NotLeader: the peer ID the answering node believes is leader
	results []result // opPropose: one per command, in order
}

var errTrailing = errors.New("trailing bytes")

func (r *request) marshal() []byte {
	b := []byte{wireVersion, byte(r.op)}
	b = binary.AppendUvarint(b, uint64(r.timeout/time.Millisecond))
	b = binary.AppendUvarint(b, uint64(len(r.cmds)))
	for _, c := range r.cmds {
		b = appendBytes(b, c)
	}
	b = appendBytes(b, []byte(r.peer))
	b = binary.AppendUvarint(b, uint64(len(r.addrs)))
	for _, a := range r.addrs {
		b = appendBytes(b, []byte(a))
	}
	return b
}

func unmarshalRequest(b []byte) (*request, error) {
	const where = "consensus.unmarshalRequest"
	d := decoder{b: b}
	if v := d.byte(); v != wireVersion && d.err == nil {
		return nil, errs.Errorf(where, errs.Invalid, "wire version %d, want %d: upgrade the older node", v, wireVersion)
	}
	r := &request{op: opcode(d.byte())}
	r.timeout = time.Duration(min(d.uvarint(), uint64(time.Hour/time.Millisecond))) * time.Millisecond
	for n := d.count(maxBatchCmds); n > 0; n-- {
		r.cmds = append(r.cmds, d.bytes(maxFrameCap))
	}
	r.peer = string(d.bytes(maxShortStr))
	for n := d.count(maxAddrs); n > 0; n-- {
		r.addrs = append(r.addrs, string(d.bytes(maxShortStr)))
	}
	if err := d.finish(); err != nil {
		return nil, errs.E(where, errs.Invalid, err)
	}
	if r.op < opPropose || r.op > opProbeIndex {
		return nil, errs.Errorf(where, errs.Invalid, "unknown op %d", r.op)
	}
	if r.op == opPropose && len(r.cmds) == 0 {
		return nil, errs.Errorf(where, errs.Invalid, "propose without commands")
	}
	return r, nil
}

func appendResult(b []byte, r *result) []byte {
	flag := byte(0)
	if r.rejected {
		flag = 1
	}
	b = append(b, byte(r.kind), flag)
	b = appendBytes(b, []byte(r.msg))
	b = appendBytes(b, r.value)
	return binary.AppendUvarint(b, r.index)
}

func (d *decoder) result() result {
	r := result{kind: errs.Kind(d.byte())}
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
	return r
}

func (r *response) marshal() []byte {
	b := appendResult([]byte{wireVersion}, &r.result)
	b = appendBytes(b, []byte(r.leader))
	b = binary.AppendUvarint(b, uint64(len(r.results)))
	for i := range r.results {
		b = appendResult(b, &r.results[i])
	}
	return b
}

func unmarshalResponse(b []byte) (*response, error) {
	const op = "consensus.unmarshalResponse"
	d := decoder{b: b}
	if v := d.byte(); v != wireVersion && d.err == nil {
		return nil, errs.Errorf(op, errs.Invalid, "wire version %d, want %d: upgrade the older node", v, wireVersion)
	}
	r := &response{result: d.result()}
	r.leader = string(d.bytes(maxShortStr))
	for n := d.count(maxBatchCmds); n > 0; n-- {
		r.results = append(r.results, d.result())
	}
	if err := d.finish(); err != nil {
		return nil, errs.E(op, errs.Corrupt, err)
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

// count reads a list length and fails above limit.
func (d *decoder) count(limit int) int {
	n := d.uvarint()
	if n > uint64(limit) {
		d.fail(errors.New("list too long"))
		return 0
	}
	if d.err != nil {
		return 0
	}
	return int(n)
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
