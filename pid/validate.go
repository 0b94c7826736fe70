package pid

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"mime"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	mh "github.com/multiformats/go-multihash"
)

// Limits on record fields.
const (
	MaxDerivedFrom = 1024 // PIDs in derived_from
	maxLabel       = 256  // bytes in type, catalog, member, user, activity name and software
	maxName        = 1024 // bytes in the file name
	maxParams      = 256  // activity parameters
	maxParamValue  = 4096 // bytes in one parameter value
)

// Validate checks that a signed record is complete and well formed (it does not check the
// signature; see Verify). Errors are of kind Invalid and name the field at fault.
func (r *Record) Validate() error {
	if err := r.validateUnsigned(); err != nil {
		return err
	}
	if len(r.Sig) != ed25519.SignatureSize {
		return invalid("sig is %d bytes, want an ed25519 signature of %d; sign the record with Sign", len(r.Sig), ed25519.SignatureSize)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return errs.Errorf("pid.Validate", errs.Invalid, format, args...)
}

// validateUnsigned checks every field but sig.
func (r *Record) validateUnsigned() error {
	if r.V != Version {
		return invalid("v is %d; this build writes version %d", r.V, Version)
	}
	if err := checkContent(r.Content); err != nil {
		return invalid("content: %v", err)
	}
	if len(r.SHA256) != sha256.Size {
		return invalid("sha256 is %d bytes, want %d", len(r.SHA256), sha256.Size)
	}
	if r.Size < 0 {
		return invalid("size %d is negative", r.Size)
	}
	if err := checkMediaType(r.Type); err != nil {
		return invalid("type: %v", err)
	}
	if err := checkString(r.Name, maxName, false); err != nil {
		return invalid("name: %v", err)
	}
	if err := checkString(r.Catalog, maxLabel, true); err != nil {
		return invalid("catalog: %v", err)
	}
	if err := CheckMeta(r.Meta); err != nil {
		return err
	}
	if err := checkDerivedFrom(r.DerivedFrom); err != nil {
		return invalid("derived_from: %v", err)
	}
	if err := r.Activity.validate(); err != nil {
		return invalid("activity: %v", err)
	}
	if err := r.Publisher.validate(); err != nil {
		return invalid("publisher: %v", err)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.Created); err != nil {
		return invalid("created %q is not an RFC 3339 time: %v", r.Created, err)
	}
	return nil
}

// CheckMeta is ValidateMeta as Validate reports it: an Invalid error naming the field and, for
// bbox and datetime, the form to write. A server calls it before it reads an upload's body.
func CheckMeta(m map[string]any) error {
	if err := ValidateMeta(m); err != nil {
		return invalid("%v%s", err, metaHint(m))
	}
	return nil
}

// metaHint says what form a malformed well-known meta value must take, in ValidateMeta's
// order of checks, so the user can fix the request without reading the docs.
func metaHint(m map[string]any) string {
	entries := 0
	if checkMetaValue(m, 0, &entries) != nil {
		return ""
	}
	if v, ok := m[MetaBBox]; ok && checkBBox(v) != nil {
		return `; write bbox as "west,south,east,north" in WGS 84 decimal degrees, e.g. "5.9,45.8,10.5,47.8"`
	}
	if v, ok := m[MetaDatetime]; ok && checkDatetime(v) != nil {
		return `; write datetime as an RFC 3339 time with a zone, e.g. "2024-05-01T00:00:00Z", or an interval "start/end" where either end may be ".."`
	}
	return ""
}

// checkContent accepts what a UnixFS importer produces: CIDv1, raw or dag-pb, sha2-256.
func checkContent(c cid.Cid) error {
	if !c.Defined() {
		return fmt.Errorf("missing")
	}
	p := c.Prefix()
	if p.Version != 1 || (p.Codec != cid.Raw && p.Codec != cid.DagProtobuf) || p.MhType != mh.SHA2_256 || p.MhLength != sha256.Size {
		return fmt.Errorf("%s must be a CIDv1 (raw or dag-pb, sha2-256) as ipfs add --cid-version=1 makes", c)
	}
	return nil
}

func checkDerivedFrom(ps []cid.Cid) error {
	if len(ps) > MaxDerivedFrom {
		return fmt.Errorf("%d PIDs, more than %d", len(ps), MaxDerivedFrom)
	}
	seen := make(map[cid.Cid]bool, len(ps))
	for i, p := range ps {
		if err := checkPID(p); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
		if seen[p] {
			return fmt.Errorf("[%d]: %s listed twice", i, p)
		}
		seen[p] = true
	}
	return nil
}

// checkPID accepts CIDv1, dag-cbor, sha2-256 with a 32-byte digest.
func checkPID(c cid.Cid) error {
	if !c.Defined() {
		return fmt.Errorf("empty PID")
	}
	p := c.Prefix()
	if p.Version != 1 || p.Codec != cid.DagCBOR || p.MhType != mh.SHA2_256 || p.MhLength != sha256.Size {
		return fmt.Errorf("%s is not a PID (want CIDv1, dag-cbor, sha2-256)", c)
	}
	return nil
}

func checkMediaType(t string) error {
	if t == "" {
		return fmt.Errorf("missing; use application/octet-stream when unknown")
	}
	if err := checkString(t, maxLabel, true); err != nil {
		return err
	}
	if _, _, err := mime.ParseMediaType(t); err != nil {
		return fmt.Errorf("%q is not a media type: %v", t, err)
	}
	return nil
}

// checkString checks length, UTF-8 and the absence of control characters.
func checkString(s string, max int, required bool) error {
	switch {
	case required && s == "":
		return fmt.Errorf("missing")
	case len(s) > max:
		return fmt.Errorf("%d bytes, more than %d", len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return fmt.Errorf("%q contains a control character", s)
		}
	}
	return nil
}

func (a *Activity) validate() error {
	if a == nil {
		return nil
	}
	if err := checkString(a.Name, maxLabel, true); err != nil {
		return fmt.Errorf("name: %v", err)
	}
	if err := checkString(a.Software, maxLabel, false); err != nil {
		return fmt.Errorf("software: %v", err)
	}
	if len(a.Params) > maxParams {
		return fmt.Errorf("%d params, more than %d", len(a.Params), maxParams)
	}
	for k, v := range a.Params {
		if err := checkString(k, maxLabel, true); err != nil {
			return fmt.Errorf("params key %q: %v", k, err)
		}
		if len(v) > maxParamValue || !utf8.ValidString(v) {
			return fmt.Errorf("params.%s: must be valid UTF-8 of at most %d bytes", k, maxParamValue)
		}
	}
	return nil
}

func (p *Publisher) validate() error {
	if err := checkString(p.Member, maxLabel, true); err != nil {
		return fmt.Errorf("member: %v", err)
	}
	if err := checkString(p.User, maxLabel, false); err != nil {
		return fmt.Errorf("user: %v", err)
	}
	if len(p.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("key is %d bytes, want an ed25519 public key of %d", len(p.Key), ed25519.PublicKeySize)
	}
	return nil
}
