package p2p

import (
	"crypto/sha256"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/upgrader"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
)

// prologueLabel separates the Noise prologue from every other use of the federation key
// (Fingerprint has its own label), so the raw key never enters the handshake.
const prologueLabel = "meridian federation noise prologue v1\x00"

// Prologue derives the Noise prologue from the federation key: sha256 over a label and the
// key. Both ends of a handshake mix their prologue into the handshake hash, so a peer whose
// key differs fails the handshake (the responder's second message does not authenticate for
// the initiator, the initiator's third does not for the responder). The prologue is never
// sent; it is as secret as the key.
func Prologue(k pnet.PSK) []byte {
	h := sha256.New()
	h.Write([]byte(prologueLabel))
	h.Write(k)
	return h.Sum(nil)
}

// noiseWithPrologue returns a libp2p security constructor: Noise (with the usual early
// muxer negotiation) whose every session carries prologue.
func noiseWithPrologue(prologue []byte) func(protocol.ID, crypto.PrivKey, []upgrader.StreamMuxer) (*noise.SessionTransport, error) {
	return func(id protocol.ID, key crypto.PrivKey, muxers []upgrader.StreamMuxer) (*noise.SessionTransport, error) {
		t, err := noise.New(id, key, muxers)
		if err != nil {
			return nil, err
		}
		return t.WithSessionOptions(noise.Prologue(prologue))
	}
}
