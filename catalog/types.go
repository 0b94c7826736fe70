package catalog

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/policy"
)

// Hash is a sha256 digest; it formats as 64 hex digits in JSON.
type Hash [32]byte

// TokenHash returns the hash under which a bearer token is stored: sha256 of its bytes.
func TokenHash(token []byte) Hash { return sha256.Sum256(token) }

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ID returns the short public name of a token hash (its first 8 bytes in hex), safe to show.
func (h Hash) ID() string { return hex.EncodeToString(h[:8]) }

// MarshalText writes the hash in hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return errs.Errorf("catalog.Hash", errs.Invalid, "hash must be 64 hex digits, got %d characters", len(b))
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return errs.E("catalog.Hash", errs.Invalid, err)
	}
	return nil
}

// Federation holds the federation-wide settings.
type Federation struct {
	Name             string    `json:"name"`
	DefaultPlacement Placement `json:"default_placement"` // used by catalogs created without one
}

// Member is a partner institution.
type Member struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Region    string `json:"region"`    // ISO 3166-1 alpha-2 country code, e.g. "TW"
	Recipient string `json:"recipient"` // age X25519 recipient ("age1…") its nodes decrypt with
	Retired   bool   `json:"retired,omitempty"`
}

// NodeState is a node's lifecycle state.
type NodeState uint8

// Node states: active nodes hold shards, draining nodes hand theirs over, gone nodes are
// forgotten by the gater.
const (
	NodeActive NodeState = iota + 1
	NodeDraining
	NodeGone
)

var nodeStateNames = [...]string{NodeActive: "active", NodeDraining: "draining", NodeGone: "gone"}

// String returns "active", "draining" or "gone".
func (s NodeState) String() string {
	if s >= NodeActive && s <= NodeGone {
		return nodeStateNames[s]
	}
	return "invalid"
}

// MarshalText formats the state for JSON.
func (s NodeState) MarshalText() ([]byte, error) {
	if s < NodeActive || s > NodeGone {
		return nil, errs.Errorf("catalog.NodeState", errs.Invalid, "invalid node state %d", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses "active", "draining" or "gone".
func (s *NodeState) UnmarshalText(b []byte) error {
	for v := NodeActive; v <= NodeGone; v++ {
		if nodeStateNames[v] == string(b) {
			*s = v
			return nil
		}
	}
	return errs.Errorf("catalog.NodeState", errs.Invalid, "unknown node state %q: use active, draining or gone", b)
}

// Node is one meridian daemon.
type Node struct {
	PeerID   string    `json:"peer_id"` // libp2p peer ID (ed25519)
	Member   string    `json:"member"`
	Addrs    []string  `json:"addrs,omitempty"` // multiaddrs
	Voter    bool      `json:"voter"`
	Capacity int64     `json:"capacity"` // bytes of shard storage offered
	State    NodeState `json:"state"`
	// API is the node's HTTP API URL and TLSPin the public-key pin of its certificate
	// ("sha256:<hex>", see api.Pin), so clients pin nodes through the catalog. Both are
	// empty for nodes registered before TLS (snapshot version 1, old commands).
	API    string `json:"api,omitempty"`
	TLSPin string `json:"tls_pin,omitempty"`
}

// User is a person or device of a member. Its tokens are stored as hashes only.
type User struct {
	ID     string       `json:"id"` // unique in the federation
	Member string       `json:"member"`
	Roles  policy.Roles `json:"roles"`
	// Key is the user's own ed25519 public key, when the user signs records itself.
	Key    []byte `json:"key,omitempty"`
	Tokens []Hash `json:"tokens,omitempty"` // sorted
}

// Placement is a catalog's placement policy, in placement's own type. The catalog keeps its
// region and member lists sorted so that equal policies encode equally.
type Placement = placement.Policy

// Catalog is a named collection of objects owned by a member.
type Catalog struct {
	Name        string         `json:"name"`
	Owner       string         `json:"owner"`
	Scope       policy.Scope   `json:"scope"`
	Grants      []policy.Grant `json:"grants,omitempty"` // canonical order (policy.SortGrants)
	Placement   Placement      `json:"placement"`
	Subscribers []string       `json:"subscribers,omitempty"` // user ids, sorted
	Objects     int            `json:"objects"`
}

// Resource is the catalog as policy sees it.
func (c *Catalog) Resource() policy.Resource {
	return policy.Resource{Owner: c.Owner, Scope: c.Scope, Grants: c.Grants}
}

// WrappedKey is an object's data key wrapped (age-encrypted) for one member.
type WrappedKey struct {
	Member string `json:"member"`
	Key    []byte `json:"key"`
}

// Object is a published object: its record and what the catalog knows about it. Objects are
// immutable once returned; callers must not modify the slices they share with the state.
type Object struct {
	PID       cid.Cid
	Record    []byte // canonical DAG-CBOR record (pid.Decode reads it)
	Catalog   string
	Name      string
	Content   cid.Cid
	Manifest  cid.Cid
	Size      int64
	When      string       // the record's meta.datetime, else its created time (for search)
	BBox      string       // the record's meta.bbox, "" when absent (for search)
	Publisher string       // user id of the publishing user
	Keys      []WrappedKey // sorted by member
	Index     uint64       // raft index of the publish command
	Time      int64        // leader time of the publish command, unix nanoseconds
}

// Key returns the data key wrapped for member m, or nil.
func (o *Object) Key(m string) []byte {
	for _, k := range o.Keys {
		if k.Member == m {
			return k.Key
		}
	}
	return nil
}

// AuditEntry records one accepted command. Hash chains the log: it is sha256 over the
// previous entry's Hash and this entry's other fields, so rewriting any entry changes every
// later Hash.
type AuditEntry struct {
	Index  uint64 `json:"index"`
	Time   int64  `json:"time"` // leader time, unix nanoseconds
	Actor  string `json:"actor"`
	Kind   Kind   `json:"kind"`
	Digest Hash   `json:"digest"` // sha256 of the command bytes
	Hash   Hash   `json:"hash"`
}
