package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// FuzzDecodeError feeds arbitrary TError payloads to DecodeError: it must never panic, a
// malformed payload gives an Invalid error that is not a *RemoteError, and a payload it
// accepts re-encodes to exactly the same bytes (one code, one message, one encoding) with the
// kind of its code.
func FuzzDecodeError(f *testing.F) {
	f.Add(EncodeError(CodeNotFound, "no such block"))
	f.Add(EncodeError(CodeUnauth, ""))
	f.Add(EncodeError(200, "unknown code"))
	f.Add([]byte{0x82, 0x02, 0x00}) // code 258
	f.Add([]byte{0x02, 0x80, 0x00}) // non-minimal length
	f.Fuzz(func(t *testing.T, p []byte) {
		err := DecodeError(p)
		if err == nil {
			t.Fatal("DecodeError returned nil")
		}
		var re *RemoteError
		if !errors.As(err, &re) {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("malformed payload %x: %v (kind %v), want Invalid", p, err, errs.KindOf(err))
			}
			return
		}
		if got := EncodeError(re.Code, re.Msg); !bytes.Equal(got, p) {
			t.Fatalf("accepted %x as code %d %q, which encodes as %x", p, re.Code, re.Msg, got)
		}
		if errs.KindOf(err) != re.Code.Kind() {
			t.Fatalf("code %d decoded with kind %v, want %v", re.Code, errs.KindOf(err), re.Code.Kind())
		}
	})
}
