package catalog

import (
	"errors"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// TestPublishRefusesBadSignature: a record whose PID is the right hash of its bytes but whose
// signature does not verify is refused by the FSM, and leaves the state as it was. (The
// "tampered record" case of TestPublishRejections breaks the hash, so it never reaches the
// signature check.)
func TestPublishRefusesBadSignature(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	_, goodRec := f.record("nchc-pub", "nchc-pub", "landsat", "ok.tif", nil)
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, r *pid.Record)
	}{
		{"flipped signature bit", func(_ *testing.T, r *pid.Record) { r.Sig[7] ^= 1 }},
		{"edited after signing", func(_ *testing.T, r *pid.Record) { r.Name = "forged.tif" }},
		{"signature by another key", func(t *testing.T, r *pid.Record) {
			o := *r
			o.Publisher.Key = nil
			if err := o.Sign(seedKey("esa-pub")); err != nil {
				t.Fatal(err)
			}
			r.Sig = o.Sig
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pid.Decode(goodRec)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, r)
			b, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			p := pid.Sum(b) // the right hash: only the signature is wrong
			before := f.s.Digest()
			res := f.run("nchc-pub", &Publish{PID: p.String(), Record: b, Manifest: manifestCID("m"), Keys: keysFor("aist", "nchc")})
			if !errs.Is(res.Err, errs.Invalid) || !errors.Is(res.Err, pid.ErrBadSignature) {
				t.Fatalf("err = %v (kind %v), want Invalid wrapping pid.ErrBadSignature", res.Err, errs.KindOf(res.Err))
			}
			if f.s.Digest() != before {
				t.Fatal("a refused publish changed the state")
			}
			if _, err := f.s.Resolve(p); err == nil {
				t.Fatal("the refused object resolves")
			}
		})
	}
}
