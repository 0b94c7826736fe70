package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// recordCheck is the offline check of a record against the PID that names it: the node's
// JSON form is turned back into a pid.Record, re-encoded canonically and hashed here, so a
// node that alters any field of a record cannot make it pass.
type recordCheck struct {
	HashOK      bool   `json:"record_hash_ok"`
	SignatureOK bool   `json:"signature_ok"`
	Problem     string `json:"problem,omitempty"`
}

// checkRecord recomputes the PID of o's record and checks its signature, with no node.
func checkRecord(p string, o *api.Object) recordCheck {
	want, err := pid.Parse(p)
	if err != nil {
		return recordCheck{Problem: err.Error()}
	}
	rec, err := fromAPIRecord(o.Record)
	if err != nil {
		return recordCheck{Problem: "record cannot be rebuilt: " + err.Error()}
	}
	got, err := rec.PID()
	if err != nil {
		return recordCheck{Problem: "record does not encode: " + err.Error()}
	}
	rc := recordCheck{HashOK: got.Equals(want)}
	if !rc.HashOK {
		rc.Problem = fmt.Sprintf("the record hashes to %s, not to %s", pid.Format(got), pid.Format(want))
	}
	if err := rec.Verify(); err != nil {
		rc.Problem = joinProblem(rc.Problem, "signature: "+err.Error())
	} else {
		rc.SignatureOK = true
	}
	return rc
}

// err returns a Corrupt error when the record does not match its PID.
func (rc recordCheck) err(op, p string) error {
	if rc.HashOK && rc.SignatureOK {
		return nil
	}
	return errs.Errorf(op, errs.Corrupt, "the record served for %s does not verify (%s); try another node with --endpoint and tell its operators", p, rc.Problem)
}

func joinProblem(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// fromAPIRecord is the inverse of the node's JSON rendering of a record. Metadata values
// published through the API are strings, so the rendering is lossless for them.
func fromAPIRecord(r api.Record) (*pid.Record, error) {
	content, err := cid.Decode(r.Content)
	if err != nil {
		return nil, fmt.Errorf("content %q: %w", r.Content, err)
	}
	sum, err1 := hex.DecodeString(r.SHA256)
	key, err2 := base64.StdEncoding.DecodeString(r.Publisher.Key)
	sig, err3 := base64.StdEncoding.DecodeString(r.Sig)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fmt.Errorf("sha256, key or sig is not encoded as expected")
	}
	out := &pid.Record{
		V: int64(r.V), Content: content, SHA256: sum, Size: r.Size, Type: r.Type, Name: r.Name,
		Catalog: r.Catalog, Created: r.Created, Sig: sig,
		Publisher: pid.Publisher{Member: r.Publisher.Member, User: r.Publisher.User, Key: key},
	}
	if len(r.Meta) > 0 {
		out.Meta = make(map[string]any, len(r.Meta))
		for k, v := range r.Meta {
			out.Meta[k] = v
		}
	}
	for _, d := range r.DerivedFrom {
		c, err := pid.Parse(d)
		if err != nil {
			return nil, fmt.Errorf("derived_from %q: %w", d, err)
		}
		out.DerivedFrom = append(out.DerivedFrom, c)
	}
	if a := r.Activity; a != nil {
		out.Activity = &pid.Activity{Name: a.Name, Software: a.Software, Params: a.Params}
	}
	return out, nil
}
