package pid

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

func TestSignVerify(t *testing.T) {
	r := sample(t)
	if err := r.Verify(); err != nil {
		t.Fatalf("fresh signature does not verify: %v", err)
	}
	r.Size++ // any change to a signed field breaks the signature
	err := r.Verify()
	if !errs.Is(err, errs.Invalid) || !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered record: err = %v, want Invalid ErrBadSignature", err)
	}
	if err := r.Sign(testKey()); err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(); err != nil {
		t.Fatalf("re-signed record does not verify: %v", err)
	}
}

func TestSignRefusesOtherKey(t *testing.T) {
	r := sample(t)
	_, other, _ := ed25519.GenerateKey(nil)
	if err := r.Sign(other); !errs.Is(err, errs.Invalid) {
		t.Fatalf("signing with a key other than publisher.key: err = %v, want Invalid", err)
	}
	// Replacing both key and signature with another key's is a valid record, but a different one.
	p1, _ := r.PID()
	r.Publisher.Key = nil
	if err := r.Sign(other); err != nil {
		t.Fatal(err)
	}
	if p2, _ := r.PID(); p1 == p2 {
		t.Fatal("re-signing by another key kept the PID")
	}
}

func TestSigningBytesExcludeSig(t *testing.T) {
	r := sample(t)
	a, err := r.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	r.Sig = make([]byte, ed25519.SignatureSize)
	b, _ := r.SigningBytes()
	if string(a) != string(b) {
		t.Fatal("signing bytes depend on sig")
	}
	if string(a[:len(SignaturePrefix)]) != SignaturePrefix {
		t.Fatal("signing bytes lack the domain prefix")
	}
}

func TestVerifyRecord(t *testing.T) {
	r := sample(t)
	b, _ := r.Encode()
	p, _ := r.PID()
	got, err := VerifyRecord(p, b)
	if err != nil {
		t.Fatalf("VerifyRecord: %v", err)
	}
	if got.Catalog != r.Catalog {
		t.Fatal("VerifyRecord returned a different record")
	}

	damaged := append([]byte{}, b...)
	damaged[len(damaged)-1] ^= 1
	if _, err := VerifyRecord(p, damaged); !errs.Is(err, errs.Corrupt) {
		t.Errorf("damaged bytes: err = %v, want Corrupt", err)
	}

	// A forger who edits the record and recomputes the PID still fails the signature check.
	r.Name = "forged.tif"
	forged, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRecord(Sum(forged), forged); !errors.Is(err, ErrBadSignature) || !errs.Is(err, errs.Invalid) {
		t.Errorf("forged record: err = %v, want Invalid ErrBadSignature", err)
	}

	if _, err := VerifyRecord(r.Content, b); !errs.Is(err, errs.Invalid) {
		t.Errorf("content CID as PID: err = %v, want Invalid", err)
	}
	if _, err := VerifyRecord(cid.Undef, b); !errs.Is(err, errs.Invalid) {
		t.Errorf("undefined PID: err = %v, want Invalid", err)
	}
}
