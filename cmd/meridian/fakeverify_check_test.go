package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/pid"
)

// TestFakeVerifyChecks: the fake's Verify reports what it finds, so the CLI's verify tests
// cannot pass on a fake that answers "ok" whatever it holds.
func TestFakeVerifyChecks(t *testing.T) {
	ctx := context.Background()
	admin := api.Subject{Member: "aist", User: "root", Roles: []string{"admin", "publish", "read"}}
	publish := func(f *fakeBackend) string {
		o, err := f.Publish(ctx, admin, api.PublishRequest{Catalog: "open", Name: "x.bin"}, bytes.NewReader(testData(5000, 3)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(o.PID, pid.Scheme)
	}
	verify := func(f *fakeBackend, p string) *api.Verification {
		v, err := f.Verify(ctx, admin, p, true)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	f := newFakeBackend()
	p := publish(f)
	if v := verify(f, p); !v.RecordHashOK || !v.SignatureOK || !v.ContentOK || len(v.Problems) != 0 {
		t.Fatalf("a sound object: %+v", v)
	}
	f.corrupt = true
	if v := verify(f, p); !v.RecordHashOK || !v.SignatureOK || v.ContentOK {
		t.Fatalf("corrupt content: %+v", v)
	}
	f.corrupt, f.tamper = false, true
	if v := verify(f, p); v.RecordHashOK || v.SignatureOK || !v.ContentOK {
		t.Fatalf("altered record: %+v", v)
	}

	f = newFakeBackend()
	f.wrongCID = true // the record names the content CID of other bytes
	if v := verify(f, publish(f)); !v.RecordHashOK || !v.SignatureOK || v.ContentOK {
		t.Fatalf("wrong content CID in the record: %+v", v)
	}
}
