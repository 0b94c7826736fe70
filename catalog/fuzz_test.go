package catalog

import (
	"bytes"
	"testing"
)

// FuzzApply applies arbitrary bytes, as the next raft entry, to two replicas restored from
// the same snapshot of a rich state. Apply must not panic, the replicas must agree, and a
// rejected command must leave the state unchanged.
func FuzzApply(f *testing.F) {
	fx := richFixture(f)
	base := snapshotBytes(f, fx.s)
	baseDigest := fx.s.Digest()
	for _, b := range fx.log {
		f.Add(b)
	}
	f.Add(fx.encode("nchc-admin", &AddMember{Member: member("jaxa")}))
	f.Add([]byte(`{"v":1,"kind":"object.publish","actor":"nchc-pub","time":9,"body":{"pid":"","record":"","manifest":"","keys":null}}`))
	next := fx.s.Applied() + 1
	f.Fuzz(func(t *testing.T, cmd []byte) {
		a, err := ReadSnapshot(bytes.NewReader(base))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ReadSnapshot(bytes.NewReader(base))
		ra, rb := a.Apply(next, cmd), b.Apply(next, cmd)
		if (ra.Err == nil) != (rb.Err == nil) || a.Digest() != b.Digest() {
			t.Fatalf("replicas disagree: %v / %v", ra.Err, rb.Err)
		}
		if ra.Err != nil && a.Digest() != baseDigest {
			t.Fatalf("rejected command (%v) changed the state", ra.Err)
		}
		if ra.Err == nil && a.Digest() == baseDigest {
			t.Fatal("accepted command left no trace")
		}
	})
}

// FuzzReadSnapshot decodes arbitrary bytes as a snapshot. It must not panic, and whatever it
// accepts must re-encode to exactly the same bytes (the format is canonical).
func FuzzReadSnapshot(f *testing.F) {
	f.Add(snapshotBytes(f, richFixture(f).s))
	f.Add(snapshotBytes(f, New()))
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			return
		}
		if again := snapshotBytes(t, s); !bytes.Equal(again, b) {
			t.Fatalf("accepted a snapshot that re-encodes differently (%d -> %d bytes)", len(b), len(again))
		}
	})
}

// FuzzDecodeCommand checks that any accepted command re-encodes to an accepted command with the
// same kind, actor and time.
func FuzzDecodeCommand(f *testing.F) {
	for _, b := range richFixture(f).log {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			return
		}
		body, err := c.DecodeBody()
		if err != nil {
			return
		}
		c2, err := NewCommand(c.Actor, body)
		if err != nil {
			return // e.g. a zero scope cannot be encoded
		}
		c2.Time = c.Time
		enc, err := c2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		c3, err := DecodeCommand(enc)
		if err != nil || c3.Kind != c.Kind || c3.Actor != c.Actor || c3.Time != c.Time {
			t.Fatalf("re-encoded command: %v", err)
		}
		if _, err := c3.DecodeBody(); err != nil {
			t.Fatalf("re-encoded body: %v", err)
		}
	})
}
