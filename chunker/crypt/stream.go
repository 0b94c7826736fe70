package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"

	"github.com/meridian-fed/meridian/errs"
)

// Overhead is the number of bytes Seal adds to a stripe (the GCM tag).
const Overhead = 16

// CipherID names the stripe cipher in manifests.
const CipherID = "aes-256-gcm-stream"

// Stream encrypts the stripes of one object with AES-256-GCM under a key derived from the DEK.
// The nonce is the stripe index plus a last-stripe flag (age's STREAM construction), so stripes
// cannot be reordered, dropped or truncated without Open failing. Safe for concurrent use.
type Stream struct {
	aead cipher.AEAD
}

// NewStream derives the stripe key from dek with HKDF-SHA256, so the DEK itself is never used
// as a cipher key and may later key other things.
func NewStream(dek []byte) (*Stream, error) {
	const op = "crypt.NewStream"
	if len(dek) != DEKSize {
		return nil, errs.Errorf(op, errs.Invalid, "data key is %d bytes, want %d", len(dek), DEKSize)
	}
	key, err := hkdf.Key(sha256.New, dek, nil, "meridian chunker v1 stripe key", 32)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return &Stream{aead: aead}, nil
}

// nonce is 11 bytes of big-endian index and one byte that is 1 for the last stripe.
func nonce(index uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[3:11], index)
	if last {
		n[11] = 1
	}
	return n
}

// Seal appends the encryption of plain (with additional data ad) for stripe index to dst.
func (s *Stream) Seal(dst []byte, index uint64, last bool, plain, ad []byte) []byte {
	return s.aead.Seal(dst, nonce(index, last), plain, ad)
}

// Open appends the decryption of ct to dst. It fails with kind Corrupt when ct, ad, the index or
// the last flag differ from what was sealed, or the key is wrong.
func (s *Stream) Open(dst []byte, index uint64, last bool, ct, ad []byte) ([]byte, error) {
	out, err := s.aead.Open(dst, nonce(index, last), ct, ad)
	if err != nil {
		return nil, errs.Errorf("crypt.Open", errs.Corrupt,
			"stripe %d does not authenticate: wrong data key, or the ciphertext was altered, moved or truncated", index)
	}
	return out, nil
}
