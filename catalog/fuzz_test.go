package catalog

import (
	"bytes"
	"crypto/sha256"
	"math"
	"testing"

	"github.com/meridian-fed/meridian/errs"
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
	f.Add(snapshotBytes(f, govSnapshotFixture(f).s))
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			return
		}
		checkCanonical(t, b, s)
	})
}

// FuzzReadSnapshotSealed decodes arbitrary bytes as a snapshot body with a valid trailing
// checksum appended, so the fuzzer reaches the structural checks (order, references, audit
// chain) that FuzzReadSnapshot's random bytes almost never get past the checksum to. Errors
// must be Corrupt; an accepted snapshot must re-encode to exactly the same bytes.
func FuzzReadSnapshotSealed(f *testing.F) {
	for _, s := range []*State{richFixture(f).s, New(), govSnapshotFixture(f).s} {
		b := snapshotBytes(f, s)
		f.Add(b[:len(b)-sha256.Size])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		b := append(body[:len(body):len(body)], sum[:]...)
		s, err := ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			if !errs.Is(err, errs.Corrupt) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		checkCanonical(t, b, s)
	})
}

// FuzzParseBox feeds arbitrary bbox strings (from search queries and published records) to
// parseBox: anything it accepts is four finite coordinates within WGS 84 bounds, and a box
// always intersects itself.
func FuzzParseBox(f *testing.F) {
	for _, s := range []string{"120,22,122,25", "170,-10,-170,10", " -180 , -90 , 180 , 90 ", "1,2,3", "NaN,0,0,0", "1e400,0,0,0", "0,5,0,4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBox(s)
		if err != nil {
			return
		}
		for _, v := range []float64{b.minX, b.minY, b.maxX, b.maxY} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%q: non-finite coordinate in %+v", s, b)
			}
		}
		if b.minX < -180 || b.maxX > 180 || b.minY < -90 || b.maxY > 90 || b.minY > b.maxY {
			t.Fatalf("%q: box %+v out of range", s, b)
		}
		if !b.intersects(b) {
			t.Fatalf("%q: box %+v does not intersect itself", s, b)
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
