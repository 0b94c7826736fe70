package p2p

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// The prologue is a function of the key alone, differs between keys, and is neither the key
// nor its fingerprint (domain-separated from both).
func TestPrologueDerivation(t *testing.T) {
	k1, k2 := mustPSK(t), mustPSK(t)
	p1 := Prologue(k1)
	if len(p1) != 32 || !bytes.Equal(p1, Prologue(bytes.Clone(k1))) {
		t.Fatalf("Prologue is not a 32-byte function of the key: %x", p1)
	}
	if bytes.Equal(p1, Prologue(k2)) {
		t.Error("two keys give the same prologue")
	}
	plain := sha256.Sum256(k1)
	if bytes.Equal(p1, k1) || bytes.Equal(p1, plain[:]) {
		t.Error("the prologue is the key or its plain hash: no domain separation")
	}
}
