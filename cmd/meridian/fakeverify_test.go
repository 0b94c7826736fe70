package main

import (
	"bytes"
	"context"
	"crypto/sha256"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/pid"
)

// Verify checks what it reports, as a node does (node.Verify): the stored record re-encodes
// to the PID, its ed25519 signature verifies under the publisher key, and, with content, the
// stored bytes have the record's content CID, sha256 and size. The fault knobs reach it as
// they reach the other methods: tamper alters the record it holds, corrupt flips the first
// byte it reads, wrongCID left a record naming other bytes. So a CLI test that expects the
// node to report a problem only passes when the fake found one.
func (f *fakeBackend) Verify(ctx context.Context, sub api.Subject, p string, content bool) (*api.Verification, error) {
	o, err := f.Object(ctx, sub, p)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := *f.records[p]
	if f.tamper {
		rec.Name += ".changed"
	}
	v := &api.Verification{PID: o.PID, ContentChecked: content,
		AuditEntry: &api.AuditEntry{Index: o.PublishIndex, Actor: "aist/root", Kind: "publish", Digest: "d"},
		Stripes:    append([]api.StripeHealth(nil), f.stripes...), Placement: f.placement}
	if got, err := rec.PID(); err == nil && pid.Format(got) == o.PID {
		v.RecordHashOK = true
	} else {
		v.Problems = append(v.Problems, "record does not hash to the PID")
	}
	if err := rec.Verify(); err == nil {
		v.SignatureOK = true
	} else {
		v.Problems = append(v.Problems, "signature: "+err.Error())
	}
	if content {
		v.ContentOK = f.contentMatchesLocked(&rec, p)
		if !v.ContentOK {
			v.Problems = append(v.Problems, "content does not match the record")
		}
	}
	return v, nil
}

// contentMatchesLocked recomputes the content CID, sha256 and size of the bytes the fake
// serves for p and compares them with rec.
func (f *fakeBackend) contentMatchesLocked(rec *pid.Record, p string) bool {
	data := append([]byte(nil), f.content[p]...)
	if f.corrupt && len(data) > 0 {
		data[0] ^= 0xff
	}
	id, err := chunker.ComputeContentID(bytes.NewReader(data))
	if err != nil {
		return false
	}
	sum := sha256.Sum256(data)
	return id.CID.Equals(rec.Content) && bytes.Equal(sum[:], rec.SHA256) && int64(len(data)) == rec.Size
}
