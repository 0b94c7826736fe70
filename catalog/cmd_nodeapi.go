package catalog

import (
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// KindSetNodeAPI records a node's API URL and certificate pin.
const KindSetNodeAPI Kind = "node.api"

// Registered here rather than in apply.go's table, so that this command stays in one file.
func init() { bodyTypes[KindSetNodeAPI] = func() Body { return new(SetNodeAPI) } }

// Limits of a node's API registration.
const (
	MaxAPIURL = 512
	pinPrefix = "sha256:"
)

// SetNodeAPI records where a node serves its API and the public-key pin of its certificate,
// so that clients reach and pin it through the catalog. A node sends it itself when what it
// serves differs from its registration (first start after an upgrade, a new address, an
// operator certificate with a new key); an admin of its member may send it too.
type SetNodeAPI struct {
	PeerID string `json:"peer_id"`
	API    string `json:"api"`
	TLSPin string `json:"tls_pin,omitempty"` // empty: the node serves plain HTTP
}

// Kind implements Body.
func (*SetNodeAPI) Kind() Kind { return KindSetNodeAPI }

func (b *SetNodeAPI) check(s *State, x *exec) error {
	const op = "catalog.SetNodeAPI"
	n := s.nodes[b.PeerID]
	if n == nil {
		return errs.Errorf(op, errs.NotExist, "peer %s is not registered; list nodes with meridian federation nodes", b.PeerID)
	}
	if err := memberAdmin(x, n.Member); err != nil {
		return err
	}
	if n.State == NodeGone {
		return errs.Errorf(op, errs.Conflict, "node %s is gone for good; register a new node identity instead", b.PeerID)
	}
	if b.API == "" {
		return invalid(op, "node %s: api URL is empty", b.PeerID)
	}
	if err := validNodeAPI(op, b.PeerID, b.API, b.TLSPin); err != nil {
		return err
	}
	return s.checkAPIUnique(op, b.PeerID, b.API)
}

func (b *SetNodeAPI) apply(s *State, x *exec) {
	n := s.nodes[b.PeerID]
	n.API, n.TLSPin = b.API, b.TLSPin
}

// validNodeAPI checks a node's API URL (empty, or an absolute http(s) URL without query) and
// pin (empty, or "sha256:" and 64 lower-case hex digits). An https URL needs a pin unless it
// is served with an operator certificate: the pin is still recorded then, so it is not
// required here.
func validNodeAPI(op, peerID, api, pin string) error {
	if len(api) > MaxAPIURL {
		return invalid(op, "node %s: api URL longer than %d bytes", peerID, MaxAPIURL)
	}
	if api != "" {
		u, err := url.Parse(api)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return invalid(op, "node %s: api %q is not an http(s) URL like https://node1.example.org:8480", peerID, api)
		}
	}
	if pin == "" {
		return nil
	}
	h, ok := strings.CutPrefix(pin, pinPrefix)
	if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != 32 || strings.ToLower(h) != h {
		return invalid(op, "node %s: tls_pin %q is not sha256:<64 lower-case hex digits>", peerID, pin)
	}
	return nil
}
