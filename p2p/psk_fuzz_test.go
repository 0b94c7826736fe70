package p2p

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// FuzzDecodePSK feeds arbitrary key files (they arrive inside invites) to DecodePSK: it must
// never panic, refuse with an Invalid error, and any key it accepts is 32 bytes that survive
// EncodePSK and DecodePSK unchanged.
func FuzzDecodePSK(f *testing.F) {
	f.Add(EncodePSK(bytes.Repeat([]byte{7}, 32)))
	f.Add([]byte("/key/swarm/psk/1.0.0/\n/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"))
	f.Add([]byte("/key/swarm/psk/1.0.0/\r\n/bin/\r\n0123456789abcdef0123456789abcdef"))
	f.Add([]byte("/key/swarm/psk/1.0.0/\n/base16/\nzz"))
	f.Add([]byte("/key/meridian/federation/1.0.0/\r\n/base16/\r\n" + strings.Repeat("0f", 32)))
	f.Add([]byte("/key/meridian/federation/1.0.0/\n/base16/\n" + strings.Repeat("g", 64)))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodePSK(b)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if len(k) != 32 {
			t.Fatalf("accepted a key of %d bytes", len(k))
		}
		again, err := DecodePSK(EncodePSK(k))
		if err != nil || !bytes.Equal(again, k) {
			t.Fatalf("re-encoded key decodes to %x, %v; want %x", again, err, k)
		}
	})
}
