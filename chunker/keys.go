package chunker

import (
	"filippo.io/age"
	"github.com/meridian-fed/meridian/chunker/crypt"
)

// NewDEK returns a fresh random 32-byte data key; every object gets its own.
func NewDEK() ([]byte, error) { return crypt.NewDEK() }

// WrapKey encrypts dek for every recipient (members' age X25519 recipients). See crypt.WrapKey.
func WrapKey(dek []byte, recipients ...age.Recipient) ([]byte, error) {
	return crypt.WrapKey(dek, recipients...)
}

// UnwrapKey recovers a wrapped data key with one of ids; kind Permission when none matches,
// Corrupt when the wrapped key was altered. See crypt.UnwrapKey.
func UnwrapKey(wrapped []byte, ids ...age.Identity) ([]byte, error) {
	return crypt.UnwrapKey(wrapped, ids...)
}
