// Package wire is the framing shared by Meridian's libp2p protocols: typed, length-prefixed
// frames with hard size caps, a small payload codec, and error codes that map to errs kinds.
//
// A frame is one type byte, a 4-byte big-endian payload length, and the payload. A reader
// refuses a frame longer than its cap before allocating anything, so a peer cannot make us
// buffer more than the cap. Bulk bytes (shard bodies) are not framed: a header frame states
// their exact length and the raw bytes follow it, which keeps the hot path free of copies.
package wire

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/meridian-fed/meridian/errs"
)

// MaxFrame is the largest payload any control frame may carry.
const MaxFrame = 64 << 10

// headerLen is the size of a frame header: type byte + 4-byte length.
const headerLen = 5

// Type identifies a frame.
type Type uint8

// Frame types. Requests are below 0x40, responses from 0x40.
const (
	TPut    Type = 0x01 // shard PUT header: CID, size; size raw bytes follow
	TGet    Type = 0x02 // shard GET: CID, offset, length
	THas    Type = 0x03 // shard HAS: list of CIDs
	TDelete Type = 0x04 // shard DELETE: CID
	TJoin   Type = 0x10 // join request: invite secret, payload

	TOK     Type = 0x40 // success; payload depends on the request
	TError  Type = 0x41 // failure: code, message
	TData   Type = 0x42 // GET answer header: body length; body raw bytes follow
	THasRes Type = 0x43 // HAS answer: one bit per CID
)

// Frame is one decoded frame. Payload aliases the reader's buffer only until the next read
// with the same buffer.
type Frame struct {
	Type    Type
	Payload []byte
}

// WriteFrame writes one frame. It refuses a payload larger than MaxFrame.
func WriteFrame(w io.Writer, t Type, payload []byte) error {
	if len(payload) > MaxFrame {
		return errs.Errorf("wire.WriteFrame", errs.Invalid, "payload of %d bytes exceeds the %d-byte frame cap", len(payload), MaxFrame)
	}
	buf := make([]byte, headerLen+len(payload))
	buf[0] = byte(t)
	binary.BigEndian.PutUint32(buf[1:headerLen], uint32(len(payload)))
	copy(buf[headerLen:], payload)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame whose payload is at most max bytes (max ≤ MaxFrame).
func ReadFrame(r io.Reader, max int) (Frame, error) {
	const op = "wire.ReadFrame"
	if max <= 0 || max > MaxFrame {
		max = MaxFrame
	}
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > uint32(max) {
		return Frame{}, errs.Errorf(op, errs.Invalid, "frame of %d bytes exceeds the %d-byte cap", n, max)
	}
	f := Frame{Type: Type(hdr[0]), Payload: make([]byte, n)}
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return f, nil
}

// Expect reads a frame and checks its type. An error frame is decoded and returned as the
// error it carries, so callers see the remote side's kind.
func Expect(r io.Reader, want Type, max int) ([]byte, error) {
	f, err := ReadFrame(r, max)
	if err != nil {
		return nil, err
	}
	switch f.Type {
	case want:
		return f.Payload, nil
	case TError:
		return nil, DecodeError(f.Payload)
	default:
		return nil, errs.Errorf("wire.Expect", errs.Invalid, "got frame type %#x, want %#x", f.Type, want)
	}
}

func (t Type) String() string { return fmt.Sprintf("%#02x", uint8(t)) }
