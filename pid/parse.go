package pid

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/multiformats/go-multibase"
)

// Scheme is the prefix of a PID written as a URI, as in "pid:bafyrei…".
const Scheme = "pid:"

// Parse reads a PID written in any of the forms people paste: a bare CID, "pid:<cid>",
// "/pid/<cid>", or an http(s) URL whose path ends in "/pid/<cid>" (a trailing slash, query and
// fragment are ignored). The CID must be CIDv1, dag-cbor, sha2-256; errors are Invalid.
func Parse(s string) (cid.Cid, error) {
	const op = "pid.Parse"
	s = strings.TrimSpace(s)
	raw, err := cidPart(s)
	if err != nil {
		return cid.Undef, errs.Errorf(op, errs.Invalid, "%q: %v", s, err)
	}
	c, err := cid.Decode(raw)
	if err != nil {
		return cid.Undef, errs.Errorf(op, errs.Invalid, "%q is not a PID: %v; a PID looks like pid:bafyrei…", s, err)
	}
	if err := checkPID(c); err != nil {
		return cid.Undef, errs.E(op, errs.Invalid, err)
	}
	if canon, ok := canonical(raw, c); !ok {
		// base32's last character carries spare bits that decoders ignore: several spellings
		// would name one PID, and a PID compared as text would not match itself.
		return cid.Undef, errs.Errorf(op, errs.Invalid, "%q is not the canonical spelling of a PID; did you mean %s%s?", s, Scheme, canon)
	}
	return c, nil
}

// canonical re-encodes c in the multibase raw was written in and tells whether raw is exactly
// that spelling.
func canonical(raw string, c cid.Cid) (string, bool) {
	enc, _, err := multibase.Decode(raw)
	if err != nil {
		return raw, true // cid.Decode accepted it: a CIDv0 (base58, no multibase prefix)
	}
	canon, err := c.StringOfBase(enc)
	if err != nil {
		return raw, true
	}
	return canon, canon == raw
}

// cidPart strips the prefixes Parse accepts and returns the CID text.
func cidPart(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, Scheme):
		return strings.TrimPrefix(s, Scheme), nil
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil {
			return "", err
		}
		return pathCID(u.EscapedPath())
	case strings.HasPrefix(s, "/"):
		p, _, _ := strings.Cut(s, "?")
		p, _, _ = strings.Cut(p, "#")
		return pathCID(p)
	}
	return s, nil
}

// pathCID returns <cid> from a path ending in /pid/<cid> or /pid/<cid>/.
func pathCID(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	i := strings.LastIndex(p, "/pid/")
	if i < 0 || strings.Contains(p[i+len("/pid/"):], "/") || len(p) == i+len("/pid/") {
		return "", fmt.Errorf("path %q does not end in /pid/<cid>", p)
	}
	return p[i+len("/pid/"):], nil
}

// Format writes a PID as "pid:" followed by its base32 CID, the form Parse reads back.
func Format(c cid.Cid) string {
	return Scheme + c.String()
}

// URL returns the resolver address of a PID at a node's HTTP API base address, e.g.
// URL("https://meridian.example.org", c) = "https://meridian.example.org/pid/bafyrei…".
func URL(base string, c cid.Cid) string {
	return strings.TrimSuffix(base, "/") + "/pid/" + c.String()
}
