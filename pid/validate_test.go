package pid

import (
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Record)
		want   string
	}{
		{"version", func(r *Record) { r.V = 2 }, "v is 2"},
		{"no content", func(r *Record) { r.Content = cid.Undef }, "content: missing"},
		{"content is dag-cbor", func(r *Record) { r.Content = mustCid(t, cid.DagCBOR, "x") }, "content:"},
		{"content is CIDv0", func(r *Record) { r.Content = cid.NewCidV0(r.Content.Hash()) }, "content:"},
		{"short sha256", func(r *Record) { r.SHA256 = r.SHA256[:31] }, "sha256 is 31 bytes"},
		{"negative size", func(r *Record) { r.Size = -1 }, "negative"},
		{"no type", func(r *Record) { r.Type = "" }, "type: missing"},
		{"bad type", func(r *Record) { r.Type = "not a type" }, "not a media type"},
		{"control char in name", func(r *Record) { r.Name = "a\nb" }, "control character"},
		{"no catalog", func(r *Record) { r.Catalog = "" }, "catalog: missing"},
		{"float meta", func(r *Record) { r.Meta["x"] = 1.5 }, "float64 not allowed"},
		{"bool meta", func(r *Record) { r.Meta["x"] = true }, "bool not allowed"},
		{"deep meta", func(r *Record) { r.Meta["x"] = nest(10) }, "nested more than"},
		{"bbox not 4", func(r *Record) { r.Meta["bbox"] = "1,2,3" }, "4 comma-separated"},
		{"bbox lat", func(r *Record) { r.Meta["bbox"] = "0,50,1,40" }, "latitudes"},
		{"bbox lon", func(r *Record) { r.Meta["bbox"] = "0,0,181,1" }, "longitudes"},
		{"bbox NaN", func(r *Record) { r.Meta["bbox"] = "NaN,0,1,1" }, "not a decimal"},
		{"datetime", func(r *Record) { r.Meta["datetime"] = "yesterday" }, "meta.datetime"},
		{"datetime backwards", func(r *Record) { r.Meta["datetime"] = "2020-01-02T00:00:00Z/2020-01-01T00:00:00Z" }, "ends before"},
		{"derived_from content CID", func(r *Record) { r.DerivedFrom = []cid.Cid{r.Content} }, "not a PID"},
		{"derived_from duplicate", func(r *Record) { r.DerivedFrom = append(r.DerivedFrom, r.DerivedFrom[0]) }, "listed twice"},
		{"activity without name", func(r *Record) { r.Activity.Name = "" }, "activity: name: missing"},
		{"no member", func(r *Record) { r.Publisher.Member = "" }, "member: missing"},
		{"short key", func(r *Record) { r.Publisher.Key = r.Publisher.Key[:5] }, "ed25519 public key"},
		{"created", func(r *Record) { r.Created = "2026-11-22 03:00" }, "RFC 3339"},
		{"no sig", func(r *Record) { r.Sig = nil }, "sign the record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample(t)
			tt.change(r)
			err := r.Validate()
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want Invalid containing %q", err, tt.want)
			}
			if _, err := r.Encode(); err == nil {
				t.Fatal("Encode accepted an invalid record")
			}
		})
	}
}

func TestValidMetaForms(t *testing.T) {
	good := []map[string]any{
		nil,
		{"bbox": "170,-10,-170,10"}, // crosses the antimeridian
		{"datetime": "2020-01-01T00:00:00Z/.."},
		{"datetime": "../2020-01-01T00:00:00+02:00"},
		{"tags": []string{"a", "b"}, "attrs": map[string]string{"k": "v"}, "n": 3},
	}
	for _, m := range good {
		if err := ValidateMeta(m); err != nil {
			t.Errorf("ValidateMeta(%v): %v", m, err)
		}
	}
	// Convenience types decode as their general forms; the record still verifies.
	r := sample(t)
	r.Meta = map[string]any{"tags": []string{"a"}, "n": 3}
	if err := r.Sign(testKey()); err != nil {
		t.Fatal(err)
	}
	b, _ := r.Encode()
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta["n"] != int64(3) || got.Meta["tags"].([]any)[0] != "a" {
		t.Fatalf("meta decoded as %#v", got.Meta)
	}
	if err := got.Verify(); err != nil {
		t.Fatal(err)
	}
}

func nest(n int) any {
	if n == 0 {
		return "leaf"
	}
	return map[string]any{"x": nest(n - 1)}
}
