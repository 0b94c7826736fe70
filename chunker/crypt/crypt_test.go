package crypt

import (
	"bytes"
	"testing"

	"filippo.io/age"
	"github.com/meridian-fed/meridian/errs"
)

func identities(t *testing.T, n int) []*age.X25519Identity {
	t.Helper()
	ids := make([]*age.X25519Identity, n)
	for i := range ids {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func TestWrapUnwrapForSeveralMembers(t *testing.T) {
	ids := identities(t, 3)
	dek, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := WrapKey(dek, ids[0].Recipient(), ids[1].Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		got, err := UnwrapKey(wrapped, id)
		if err != nil || !bytes.Equal(got, dek) {
			t.Fatalf("unwrap: %x, %v", got, err)
		}
	}
	_, err = UnwrapKey(wrapped, ids[2])
	if !errs.Is(err, errs.Permission) {
		t.Fatalf("wrong identity: got %v, want a Permission error", err)
	}
}

func TestUnwrapDetectsEveryByteChanged(t *testing.T) {
	ids := identities(t, 1)
	dek, _ := NewDEK()
	wrapped, err := WrapKey(dek, ids[0].Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x01
		if got, err := UnwrapKey(bad, ids[0]); err == nil {
			t.Fatalf("byte %d flipped: unwrap returned %x and no error", i, got)
		}
	}
	if _, err := UnwrapKey(wrapped[:len(wrapped)-1], ids[0]); err == nil {
		t.Fatal("truncated wrapped key unwrapped")
	}
}

func TestWrapRejectsBadInput(t *testing.T) {
	ids := identities(t, 1)
	if _, err := WrapKey(make([]byte, 5), ids[0].Recipient()); !errs.Is(err, errs.Invalid) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := WrapKey(make([]byte, DEKSize)); !errs.Is(err, errs.Invalid) {
		t.Fatalf("no recipients: %v", err)
	}
}

func TestStreamBindsIndexLastAndAD(t *testing.T) {
	dek, _ := NewDEK()
	s, err := NewStream(dek)
	if err != nil {
		t.Fatal(err)
	}
	ct := s.Seal(nil, 7, false, []byte("stripe seven"), []byte("ad"))
	if got, err := s.Open(nil, 7, false, ct, []byte("ad")); err != nil || string(got) != "stripe seven" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := NewDEK()
	s2, _ := NewStream(other)
	cases := []struct {
		name  string
		s     *Stream
		index uint64
		last  bool
		ct    []byte
		ad    string
	}{
		{"other index", s, 8, false, ct, "ad"},
		{"last flag", s, 7, true, ct, "ad"},
		{"other ad", s, 7, false, ct, "AD"},
		{"other key", s2, 7, false, ct, "ad"},
		{"truncated", s, 7, false, ct[:len(ct)-1], "ad"},
	}
	for _, c := range cases {
		if _, err := c.s.Open(nil, c.index, c.last, c.ct, []byte(c.ad)); !errs.Is(err, errs.Corrupt) {
			t.Errorf("%s: got %v, want Corrupt", c.name, err)
		}
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x80
		if _, err := s.Open(nil, 7, false, bad, []byte("ad")); err == nil {
			t.Fatalf("byte %d flipped: opened", i)
		}
	}
}
