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

// PSKSize is the length of a federation key.
const PSKSize = 32

// KeyHeader opens a federation key file. The key is bound into the Noise handshake (see
// Prologue); it is not a libp2p pnet key, and the header says so, so IPFS tools do not take
// it for one and an older Meridian (which ran pnet) refuses it instead of failing every
// handshake.
const KeyHeader = "/key/meridian/federation/1.0.0/"

// legacyHeader opened the key files of federations that ran libp2p pnet (until 2026-12).
// They are still read: the 32 bytes are the same key, now used as the Noise prologue's seed.
const legacyHeader = "/key/swarm/psk/1.0.0/"

// GeneratePSK returns a new random federation key.
func GeneratePSK() (pnet.PSK, error) {
	k := make([]byte, PSKSize)
	if _, err := rand.Read(k); err != nil {
		return nil, errs.E("p2p.GeneratePSK", errs.Internal, err)
	}
	return k, nil
}

// EncodePSK writes k as a federation key file:
//
//	/key/meridian/federation/1.0.0/
//	/base16/
//	<64 hex digits>
func EncodePSK(k pnet.PSK) []byte {
	return []byte(KeyHeader + "\n/base16/\n" + hex.EncodeToString(k) + "\n")
}

// DecodePSK parses a federation key file, or a legacy pnet swarm key file (base16, base64
// or bin encodings) written before the key moved into the Noise handshake.
func DecodePSK(b []byte) (pnet.PSK, error) {
	const op = "p2p.DecodePSK"
	if IsLegacyKey(b) {
		k, err := pnet.DecodeV1PSK(bytes.NewReader(b))
		if err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "bad legacy federation key (%v); expected the /key/swarm/psk/1.0.0/ format", err)
		}
		return k, nil
	}
	k, err := decodeKeyFile(b)
	if err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "bad federation key (%v); expected the %s file printed by 'meridian federation init' or carried by the invite", err, KeyHeader)
	}
	return k, nil
}

// IsLegacyKey reports whether b is a key file in the old pnet swarm key format.
func IsLegacyKey(b []byte) bool {
	return strings.HasPrefix(strings.TrimLeft(string(b), " \t\r\n"), legacyHeader)
}

// decodeKeyFile parses the current format: header, /base16/, 64 hex digits, each on its
// own line (CRLF and surrounding blank space tolerated), nothing else.
func decodeKeyFile(b []byte) (pnet.PSK, error) {
	lines := strings.Fields(string(b))
	switch {
	case len(lines) == 0 || lines[0] != KeyHeader:
		return nil, fmt.Errorf("the file does not start with %s", KeyHeader)
	case len(lines) != 3 || lines[1] != "/base16/":
		return nil, fmt.Errorf("want three lines: header, /base16/, the key")
	case len(lines[2]) != 2*PSKSize:
		return nil, fmt.Errorf("the key has %d hex digits, want %d", len(lines[2]), 2*PSKSize)
	}
	k, err := hex.DecodeString(lines[2])
	if err != nil {
		return nil, fmt.Errorf("the key is not hex: %w", err)
	}
	return k, nil
}

// Fingerprint is a short, non-secret name for a key, so operators can check that two nodes
// share the same key without showing it: 16 hex bytes of sha256 over a label and the key.
// It is the same for a key read from a legacy file and from a current one.
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
