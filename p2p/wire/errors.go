package wire

import (
	"errors"
	"io"
	"math"

	"github.com/meridian-fed/meridian/errs"
)

// Code is an error code on the wire. Codes are stable: never renumber one.
type Code uint8

// Error codes carried by TError frames.
const (
	CodeInternal    Code = 1  // a bug or broken invariant on the remote side
	CodeInvalid     Code = 2  // malformed or unsupported request
	CodeNotFound    Code = 3  // the block does not exist
	CodeCorrupt     Code = 4  // bytes do not match their CID
	CodeNoSpace     Code = 5  // the remote store is full
	CodeDenied      Code = 6  // the caller may not do this
	CodeUnavailable Code = 7  // busy or shutting down; retry later or elsewhere
	CodeTimeout     Code = 8  // the remote side ran out of time
	CodeTooLarge    Code = 9  // over a size cap
	CodeUnauth      Code = 10 // missing or bad credentials (e.g. invite secret)
	CodeConflict    Code = 11 // the request conflicts with the current state (e.g. a join the federation has not decided)
)

// maxMessage bounds the human-readable message of an error frame.
const maxMessage = 1024

var codeKinds = map[Code]errs.Kind{
	CodeInternal:    errs.Internal,
	CodeInvalid:     errs.Invalid,
	CodeNotFound:    errs.NotExist,
	CodeCorrupt:     errs.Corrupt,
	CodeNoSpace:     errs.NoSpace,
	CodeDenied:      errs.Permission,
	CodeUnavailable: errs.Unavailable,
	CodeTimeout:     errs.Timeout,
	CodeTooLarge:    errs.Invalid,
	CodeUnauth:      errs.Unauthenticated,
	CodeConflict:    errs.Conflict,
}

// Kind maps a code to the errs kind a client reports; unknown codes give errs.Other.
func (c Code) Kind() errs.Kind { return codeKinds[c] }

// CodeOf picks the wire code for a local error.
func CodeOf(err error) Code {
	switch errs.KindOf(err) {
	case errs.Invalid:
		return CodeInvalid
	case errs.NotExist:
		return CodeNotFound
	case errs.Corrupt:
		return CodeCorrupt
	case errs.NoSpace:
		return CodeNoSpace
	case errs.Permission:
		return CodeDenied
	case errs.Unavailable:
		return CodeUnavailable
	case errs.Timeout:
		return CodeTimeout
	case errs.Unauthenticated:
		return CodeUnauth
	case errs.Conflict:
		return CodeConflict
	}
	return CodeInternal
}

// EncodeError builds the payload of a TError frame for err.
func EncodeError(code Code, msg string) []byte {
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	var e Enc
	return e.Uvarint(uint64(code)).Bytes([]byte(msg)).Out()
}

// WriteError sends err as a TError frame; the message carries no file paths of this node
// (errs.WithoutPaths).
func WriteError(w io.Writer, err error) error {
	return WriteFrame(w, TError, EncodeError(CodeOf(err), errs.WithoutPaths(err.Error(), err)))
}

// RemoteError is an error reported by the other side of a stream.
type RemoteError struct {
	Code Code
	Msg  string
}

func (e *RemoteError) Error() string { return "remote: " + e.Msg }

// DecodeError turns a TError payload into an errs error of the code's kind wrapping a
// *RemoteError. A malformed payload gives an Invalid error.
func DecodeError(p []byte) error {
	d := NewDec(p)
	raw := d.Uvarint()
	msg := d.Bytes(maxMessage)
	if err := d.Done(); err != nil {
		return err
	}
	if raw > math.MaxUint8 { // Code is a byte: a larger value must not alias a smaller code
		return errs.Errorf("wire.DecodeError", errs.Invalid, "error code %d out of range: the peer speaks another protocol version", raw)
	}
	code := Code(raw)
	return errs.E("wire.remote", code.Kind(), &RemoteError{Code: code, Msg: string(msg)})
}

// IsRemote reports whether err came from the other side (as opposed to a transport failure).
func IsRemote(err error) bool {
	var r *RemoteError
	return errors.As(err, &r)
}
