package p2p

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/pnet"

	"github.com/meridian-fed/meridian/errs"
)

// PSKSize is the length of a private network key.
const PSKSize = 32

// GeneratePSK returns a new random private network key for a federation.
func GeneratePSK() (pnet.PSK, error) {
	k := make([]byte, PSKSize)
	if _, err := rand.Read(k); err != nil {
		return nil, errs.E("p2p.GeneratePSK", errs.Internal, err)
	}
	return k, nil
}

// EncodePSK writes k in the standard swarm key format that IPFS tools read:
//
//	/key/swarm/psk/1.0.0/
//	/base16/
//	<64 hex digits>
func EncodePSK(k pnet.PSK) []byte {
	return []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + hex.EncodeToString(k) + "\n")
}

// DecodePSK parses a key in the swarm key format (base16, base64 or bin encodings).
func DecodePSK(b []byte) (pnet.PSK, error) {
	k, err := pnet.DecodeV1PSK(bytes.NewReader(b))
	if err != nil {
		return nil, errs.Errorf("p2p.DecodePSK", errs.Invalid, "bad federation key (%v); expected the /key/swarm/psk/1.0.0/ format printed by the invite", err)
	}
	return k, nil
}

// Fingerprint is a short, non-secret name for a key, so operators can check that two nodes
// share the same key without showing it: 16 hex bytes of sha256 over a label and the key.
func Fingerprint(k pnet.PSK) string {
	h := sha256.Sum256(append([]byte("meridian psk fingerprint v1\x00"), k...))
	var b strings.Builder
	for i, x := range h[:16] {
		if i > 0 && i%2 == 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", x)
	}
	return b.String()
}
