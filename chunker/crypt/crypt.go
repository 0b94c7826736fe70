// Package crypt holds the chunker's cryptography: per-object data keys (DEKs), their wrapping
// for members with age X25519 recipients, and the AES-256-GCM STREAM cipher for stripes.
package crypt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"

	"filippo.io/age"
	"github.com/meridian-fed/meridian/errs"
)

// DEKSize is the length of a data encryption key.
const DEKSize = 32

// NewDEK returns a fresh random data key; every object gets its own.
func NewDEK() ([]byte, error) {
	dek := make([]byte, DEKSize)
	if _, err := rand.Read(dek); err != nil {
		return nil, errs.E("crypt.NewDEK", errs.Internal, err)
	}
	return dek, nil
}

// WrapKey encrypts dek to every recipient (one age file readable by any of them). The result
// is authenticated: changing any byte makes UnwrapKey fail.
func WrapKey(dek []byte, recipients ...age.Recipient) ([]byte, error) {
	const op = "crypt.WrapKey"
	if len(dek) != DEKSize {
		return nil, errs.Errorf(op, errs.Invalid, "data key is %d bytes, want %d", len(dek), DEKSize)
	}
	if len(recipients) == 0 {
		return nil, errs.Errorf(op, errs.Invalid, "no recipients: give at least one member's age recipient")
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	if _, err := w.Write(dek); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := w.Close(); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return buf.Bytes(), nil
}

// UnwrapKey recovers a data key wrapped by WrapKey with one of ids. When no identity matches
// it fails with kind Permission; when the wrapped key was altered, with kind Corrupt.
func UnwrapKey(wrapped []byte, ids ...age.Identity) ([]byte, error) {
	const op = "crypt.UnwrapKey"
	if len(ids) == 0 {
		return nil, errs.Errorf(op, errs.Invalid, "no identities: give this member's age identity")
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), ids...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, errs.Errorf(op, errs.Permission,
				"none of the %d given identities can unwrap this key: it was not wrapped for this member, or the wrapped key was altered (%v)", len(ids), err)
		}
		return nil, errs.Errorf(op, errs.Corrupt, "wrapped key is damaged or altered: %v", err)
	}
	dek, err := io.ReadAll(io.LimitReader(r, DEKSize+1))
	if err != nil {
		return nil, errs.Errorf(op, errs.Corrupt, "wrapped key is damaged or altered: %v", err)
	}
	if len(dek) != DEKSize {
		return nil, errs.Errorf(op, errs.Corrupt, "wrapped key holds %d bytes, want %d", len(dek), DEKSize)
	}
	return dek, nil
}
