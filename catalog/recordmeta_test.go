package catalog

import (
	"maps"
	"testing"

	"github.com/meridian-fed/meridian/pid"
)

// refWalkMeta collects what recordMeta reports, as the index keeps it (noMatch values left out).
func refWalkMeta(rec []byte) (map[string]string, error) {
	got := map[string]string{}
	err := recordMeta(rec, func(k, v []byte) {
		if metaIndexed(string(k), string(v)) {
			got[string(k)] = string(v)
		}
	})
	return got, err
}

// decodedMeta is what Search's decoding path compares: the text and integer entries.
func decodedMeta(r *pid.Record) map[string]string {
	want := map[string]string{}
	for k, v := range r.Meta {
		if s := metaString(v); metaIndexed(k, s) {
			want[k] = s
		}
	}
	return want
}

func TestRecordMeta(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "federation")
	for _, meta := range []map[string]any{
		nil,
		{"a": "x"},
		{"bbox": "1,2,3,4", "datetime": "2020-01-01T00:00:00Z", "n": int64(-9223372036854775808), "p": int64(9223372036854775807),
			"zero": int64(0), "small": int64(-24), "big": int64(1 << 40), "l": []any{"a", map[string]any{"b": "c"}},
			"m": map[string]any{"x": "y", "z": []any{int64(1)}}, "nul": "\x00", "é": "ü"},
	} {
		_, rec := f.record("nchc-pub", "nchc-pub", "c", "name", meta)
		r, err := pid.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := refWalkMeta(rec)
		if err != nil {
			t.Fatalf("%v: %v", meta, err)
		}
		if want := decodedMeta(r); !maps.Equal(got, want) {
			t.Errorf("recordMeta = %v, pid.Decode gives %v", got, want)
		}
	}
}

// FuzzRecordMeta holds recordMeta to pid.Decode: it never panics, and on any bytes pid.Decode
// accepts it reports exactly the text and integer meta entries.
func FuzzRecordMeta(f *testing.F) {
	fx := newFixture(f)
	fx.catalog("c", "nchc", "federation")
	_, rec := fx.record("nchc-pub", "nchc-pub", "c", "name", map[string]any{"a": "x", "n": int64(-3), "l": []any{"q"}})
	f.Add(rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := refWalkMeta(b)
		r, derr := pid.Decode(b)
		if derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("pid.Decode accepts the record but recordMeta fails: %v", err)
		}
		if want := decodedMeta(r); !maps.Equal(got, want) {
			t.Fatalf("recordMeta = %v, pid.Decode gives %v", got, want)
		}
	})
}
