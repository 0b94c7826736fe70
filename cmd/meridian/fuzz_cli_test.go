package main

import (
	"encoding/json"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/pid"
)

// FuzzCheckRecord feeds node answers (object JSON) to the offline record check: it must never
// panic, and it may pass only a record that re-encodes to exactly the PID asked for.
func FuzzCheckRecord(f *testing.F) {
	fb := newFakeBackend()
	rec, err := fb.record(api.Subject{Member: "aist", User: "root"}, api.PublishRequest{Catalog: "open", Name: "n",
		Meta: map[string]string{"k": "v"}, Activity: &api.Activity{Name: "a"}}, []byte("data"))
	if err != nil {
		f.Fatal(err)
	}
	p, _ := rec.PID()
	good, _ := json.Marshal(api.Object{PID: pid.Format(p), Record: apiRecord(rec)})
	f.Add(pid.Format(p), good)
	f.Add(pid.Format(p), []byte(`{"record":{"v":1,"content":"x","sha256":"zz"}}`))
	f.Fuzz(func(t *testing.T, want string, b []byte) {
		var o api.Object
		if json.Unmarshal(b, &o) != nil {
			return
		}
		rc := checkRecord(want, &o)
		if !rc.HashOK {
			return
		}
		r, err := fromAPIRecord(o.Record)
		if err != nil {
			t.Fatalf("hash ok but the record does not rebuild: %v", err)
		}
		got, _ := r.PID()
		c, _ := pid.Parse(want)
		if !got.Equals(c) {
			t.Fatalf("hash ok for %s but the record is %s", want, got)
		}
	})
}

func FuzzParseByteRange(f *testing.F) {
	for _, s := range []string{"", "0-9", "7-", "9-5", "-1", "1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		off, length, err := parseByteRange(s)
		if err == nil && (off < 0 || length < -1 || length == 0) {
			t.Fatalf("parseByteRange(%q) = %d, %d", s, off, length)
		}
	})
}
