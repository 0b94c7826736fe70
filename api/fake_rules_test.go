package api

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// The fake backend decides who may do what with the real rules (policy.Can), and answers a
// refused read as the node does (node/conceal.go): as if the catalog or object did not exist.
// A fake with rules of its own let any signed-in member read a member-scope catalog, so the
// HTTP tests asserted answers that no node gives.

// fakeCan is policy.Can over the api's types.
func fakeCan(sub Subject, a policy.Action, c *Catalog) error {
	const op = "fake.Can"
	scope, err := policy.ParseScope(c.Scope)
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	roles, err := policy.ParseRoles(strings.Join(sub.Roles, ","))
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	r := policy.Resource{Owner: c.Owner, Scope: scope}
	for _, g := range c.Grants {
		act, err := policy.ParseAction(g.Action)
		if err != nil {
			return errs.E(op, errs.Internal, err)
		}
		r.Grants = append(r.Grants, policy.Grant{Action: act, Member: g.Member, User: g.User})
	}
	s := policy.Subject{Member: sub.Member, User: sub.User, Roles: roles, Anonymous: sub.Anonymous}
	return policy.Can(s, a, r)
}

// concealed turns a refused read into the node's "not found" answer.
func concealed(err error, what string) error {
	if errs.Is(err, errs.Permission) || errs.Is(err, errs.Unauthenticated) {
		return errs.Errorf("fake", errs.NotExist, "no %s that you may read", what)
	}
	return err
}

// fakeKey is the publisher key of every record the fake publishes.
var fakeKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// fakeSigningBytes is what the fake signs: the record as JSON without its signature.
func fakeSigningBytes(r Record) []byte {
	r.Sig = ""
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return b
}

// fakeSign sets the record's publisher key and signs it with fakeKey.
func fakeSign(r *Record) {
	r.Publisher.Key = base64.StdEncoding.EncodeToString(fakeKey.Public().(ed25519.PublicKey))
	r.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(fakeKey, fakeSigningBytes(*r)))
}

// fakeRecordCID is the fake's PID of a record: the hash of its JSON.
func fakeRecordCID(r Record) string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return fakeCID(cid.DagCBOR, b)
}

// fakeVerify checks what it says it checked: the record against its PID, the signature
// against the publisher key and, with content, the bytes against the record.
func fakeVerify(o *Object, data []byte, content bool) *Verification {
	v := &Verification{PID: o.PID, ContentChecked: content}
	v.RecordHashOK = fakeRecordCID(o.Record) == o.PID
	key, kerr := base64.StdEncoding.DecodeString(o.Record.Publisher.Key)
	sig, serr := base64.StdEncoding.DecodeString(o.Record.Sig)
	v.SignatureOK = kerr == nil && serr == nil && len(key) == ed25519.PublicKeySize &&
		ed25519.Verify(key, fakeSigningBytes(o.Record), sig)
	if content {
		sum := sha256.Sum256(data)
		v.ContentOK = fakeCID(cid.Raw, data) == o.Record.Content && hex.EncodeToString(sum[:]) == o.Record.SHA256 &&
			int64(len(data)) == o.Record.Size
	}
	for _, p := range []struct {
		bad  bool
		what string
	}{{!v.RecordHashOK, "record does not hash to the PID"}, {!v.SignatureOK, "signature does not verify"}, {content && !v.ContentOK, "content does not match the record"}} {
		if p.bad {
			v.Problems = append(v.Problems, p.what)
		}
	}
	return v
}
