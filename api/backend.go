// Package api serves a node's versioned HTTP API (/v1, /pid, health and metrics) over the
// Backend interface that package node implements, and provides the Go client with endpoint
// failover that the CLI uses.
package api

import (
	"context"
	"io"
	"time"
)

// Backend is what the HTTP layer needs from a node. Every method that takes a Subject checks
// authorization itself (policy lives behind the backend) and returns errors with an errs.Kind;
// the HTTP layer maps kinds to status codes in one place (errors.go).
type Backend interface {
	// Authenticate maps a bearer token to a subject. An empty token gives the anonymous
	// subject; an unknown or revoked token gives errs.Unauthenticated.
	Authenticate(ctx context.Context, token string) (Subject, error)

	// Publish encodes body, stores its shards, commits the record and returns the object.
	// It returns only when the object can be read back.
	Publish(ctx context.Context, sub Subject, req PublishRequest, body io.Reader) (*Object, error)
	// Object resolves a PID (local read) after checking that sub may read it.
	Object(ctx context.Context, sub Subject, pid string) (*Object, error)
	// ReadContent writes bytes [off, off+length) of the object's content to w (length -1: to
	// the end), fetching only the stripes the range covers. The range is already clamped.
	ReadContent(ctx context.Context, sub Subject, pid string, off, length int64, w io.Writer) error
	// Provenance returns the object and its ancestors through derived_from, up to depth.
	Provenance(ctx context.Context, sub Subject, pid string, depth int) ([]Object, error)
	// Verify checks a PID: record hash, signature, audit entry, shard availability, and (when
	// content is true) the content CID of the fetched bytes.
	Verify(ctx context.Context, sub Subject, pid string, content bool) (*Verification, error)

	ListObjects(ctx context.Context, sub Subject, catalog, cursor string, limit int) (*ObjectPage, error)
	Search(ctx context.Context, sub Subject, q Query) (*ObjectPage, error)

	CreateCatalog(ctx context.Context, sub Subject, c Catalog) (*Catalog, error)
	Catalogs(ctx context.Context, sub Subject) ([]Catalog, error)
	Catalog(ctx context.Context, sub Subject, name string) (*Catalog, error)
	// UpdateCatalog changes scope, grants or placement; nil fields are left as they are.
	UpdateCatalog(ctx context.Context, sub Subject, name string, u CatalogUpdate) (*Catalog, error)

	// AddUser creates a user and returns its first token (shown once).
	AddUser(ctx context.Context, sub Subject, u User) (*NewToken, error)
	AddToken(ctx context.Context, sub Subject, user string) (*NewToken, error)
	RevokeToken(ctx context.Context, sub Subject, user, tokenID string) error
	Users(ctx context.Context, sub Subject) ([]User, error)

	Members(ctx context.Context, sub Subject) ([]Member, error)
	Nodes(ctx context.Context, sub Subject) ([]NodeInfo, error)
	// SetNodeState drains a node ("draining": its shards move away, then it is marked gone),
	// brings a draining node back ("active"), or removes it for good ("gone").
	SetNodeState(ctx context.Context, sub Subject, peerID, state string) (*NodeInfo, error)
	Status(ctx context.Context, sub Subject) (*Status, error)
	// Scrub re-hashes every block of the answering node now; damaged blocks are deleted and
	// the repair loop restores them. It needs the admin role.
	Scrub(ctx context.Context, sub Subject) (*ScrubReport, error)
	AuditLog(ctx context.Context, sub Subject, from uint64, limit int) (*AuditPage, error)

	// Subscribe streams objects published to catalog after the call, until ctx is done.
	Subscribe(ctx context.Context, sub Subject, catalog string) (<-chan Object, error)

	// Ready reports nil when the node can serve reads and writes (leader known, enough
	// holders reachable), else an error saying what is missing.
	Ready(ctx context.Context) error
}

// Subject is an authenticated (or anonymous) caller.
type Subject struct {
	Anonymous bool     `json:"anonymous,omitempty"`
	Member    string   `json:"member,omitempty"`
	User      string   `json:"user,omitempty"`
	Roles     []string `json:"roles,omitempty"` // "read", "publish", "admin"
}

// PublishRequest is the metadata of an upload; the body is the content.
type PublishRequest struct {
	Catalog     string            `json:"catalog"`
	Name        string            `json:"name"`
	Type        string            `json:"type,omitempty"` // media type
	Meta        map[string]string `json:"meta,omitempty"`
	DerivedFrom []string          `json:"derived_from,omitempty"` // PIDs
	Activity    *Activity         `json:"activity,omitempty"`
	Size        int64             `json:"size,omitempty"` // expected size, -1 or 0 when unknown
}

// Activity says how an object was produced (PROV activity).
type Activity struct {
	Name     string            `json:"name,omitempty"`
	Software string            `json:"software,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
}

// Record is the JSON form of a publication record (pid.Record is the canonical form).
type Record struct {
	V           int               `json:"v"`
	Content     string            `json:"content"` // content CID
	SHA256      string            `json:"sha256"`  // hex
	Size        int64             `json:"size"`
	Type        string            `json:"type,omitempty"`
	Name        string            `json:"name,omitempty"`
	Catalog     string            `json:"catalog"`
	Meta        map[string]string `json:"meta,omitempty"`
	DerivedFrom []string          `json:"derived_from,omitempty"`
	Activity    *Activity         `json:"activity,omitempty"`
	Publisher   Publisher         `json:"publisher"`
	Created     string            `json:"created"`
	Sig         string            `json:"sig"` // base64
}

// Publisher is who signed a record.
type Publisher struct {
	Member string `json:"member"`
	User   string `json:"user,omitempty"`
	Key    string `json:"key"` // base64 ed25519 public key
}

// Object is a published object as the catalog knows it.
type Object struct {
	PID          string    `json:"pid"`
	Record       Record    `json:"record"`
	ManifestCID  string    `json:"manifest_cid"`
	PublishIndex uint64    `json:"publish_index"`
	Published    time.Time `json:"published"` // leader time of the commit
	Stripes      int       `json:"stripes,omitempty"`
	K            int       `json:"k,omitempty"`
	M            int       `json:"m,omitempty"`
}

// ObjectPage is one page of a listing; Next is the cursor of the following page ("" at the end).
type ObjectPage struct {
	Objects []Object `json:"objects"`
	Next    string   `json:"next,omitempty"`
}

// Query is a search over objects the subject may read.
type Query struct {
	Catalog string            `json:"catalog,omitempty"`
	Name    string            `json:"name,omitempty"`   // substring
	Prefix  string            `json:"prefix,omitempty"` // name prefix (case-insensitive; indexed)
	Meta    map[string]string `json:"meta,omitempty"`   // exact key=value matches
	From    string            `json:"from,omitempty"`   // RFC3339, inclusive
	To      string            `json:"to,omitempty"`     // RFC3339, exclusive
	BBox    string            `json:"bbox,omitempty"`   // "minx,miny,maxx,maxy"
	Cursor  string            `json:"cursor,omitempty"`
	Limit   int               `json:"limit,omitempty"`
}

// Catalog is a named collection of objects owned by a member.
type Catalog struct {
	Name      string    `json:"name"`
	Owner     string    `json:"owner"` // member id
	Scope     string    `json:"scope"` // member | members:a,b | federation | public
	Grants    []Grant   `json:"grants,omitempty"`
	Placement Placement `json:"placement"`
	Objects   int       `json:"objects,omitempty"`
}

// Grant gives a member or a user an extra right on a catalog.
type Grant struct {
	Member string `json:"member,omitempty"`
	User   string `json:"user,omitempty"`
	Action string `json:"action"` // read | publish
}

// Placement is a catalog's placement policy.
type Placement struct {
	K               int      `json:"k,omitempty"`
	M               int      `json:"m,omitempty"`
	AllowedRegions  []string `json:"allowed_regions,omitempty"`
	ExcludedMembers []string `json:"excluded_members,omitempty"`
	Jurisdiction    bool     `json:"jurisdiction,omitempty"`
}

// CatalogUpdate changes parts of a catalog; nil fields stay as they are.
type CatalogUpdate struct {
	Scope     *string    `json:"scope,omitempty"`
	Grants    *[]Grant   `json:"grants,omitempty"`
	Placement *Placement `json:"placement,omitempty"`
}

// User is a person or device of a member.
type User struct {
	ID     string   `json:"id"`
	Member string   `json:"member"`
	Roles  []string `json:"roles"`
	Tokens []string `json:"tokens,omitempty"` // token ids (never the secrets)
}

// NewToken is a freshly created token: Secret is shown once and never stored.
type NewToken struct {
	User   string `json:"user"`
	ID     string `json:"id"`
	Secret string `json:"token"`
}

// Member is a partner institution.
type Member struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Region    string `json:"region"`
	Recipient string `json:"recipient"` // age X25519 recipient
}

// NodeInfo is one node of the federation.
type NodeInfo struct {
	PeerID    string   `json:"peer_id"`
	Member    string   `json:"member"`
	Addrs     []string `json:"addrs,omitempty"`
	API       string   `json:"api,omitempty"`     // API URL: this node's own, or the one registered in the catalog
	TLSPin    string   `json:"tls_pin,omitempty"` // public-key pin of its API certificate, as registered (api.Pin)
	Voter     bool     `json:"voter"`
	State     string   `json:"state"` // active | draining | gone
	Connected bool     `json:"connected"`
	Used      int64    `json:"used_bytes,omitempty"`
	Free      int64    `json:"free_bytes,omitempty"`
}

// Status is a node's view of the federation's health. Objects (the count across every
// catalog) and Redundancy are shown only to admins of the node's own member (they tell
// publishing activity in catalogs the caller may not read); for others both are omitted.
type Status struct {
	Node       NodeInfo    `json:"node"`
	Leader     string      `json:"leader"`
	Term       uint64      `json:"term"`
	Applied    uint64      `json:"applied_index"`
	Peers      int         `json:"connected_peers"`
	Objects    *int        `json:"objects,omitempty"`    // nil unless the caller is an admin of this node's member
	Redundancy *Redundancy `json:"redundancy,omitempty"` // likewise; and nil until the first pass
	// TLS is how this node serves its API; Warnings are what its operator should fix.
	TLS      *TLSStatus `json:"tls,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
}

// TLSStatus says how a node serves its API: HTTPS with a self-signed or operator certificate,
// or plain HTTP (only with the explicit --insecure-plain-http flag).
type TLSStatus struct {
	Mode     string `json:"mode"`                // "self-signed", "operator" or "plain-http"
	Pin      string `json:"pin,omitempty"`       // the certificate's public-key pin (api.Pin)
	NotAfter string `json:"not_after,omitempty"` // RFC 3339
}

// Redundancy summarises stripe health as last measured by the repair loop.
type Redundancy struct {
	Full        int       `json:"full"`     // all k+m shards present
	Degraded    int       `json:"degraded"` // k < present < k+m
	Critical    int       `json:"critical"` // present == k
	Lost        int       `json:"lost"`     // present < k
	RepairQueue int       `json:"repair_queue"`
	ScrubAge    string    `json:"scrub_age,omitempty"`
	Measured    time.Time `json:"measured"`

	// Waiting counts stripes repair leaves short because no node that answers may take their
	// missing shards within the catalog's constraints; WaitingWhy is placement's reason for one.
	Waiting    int    `json:"waiting_for_placement,omitempty"`
	WaitingWhy string `json:"waiting_why,omitempty"`
}

// ScrubReport is the outcome of one scrub of a node's store.
type ScrubReport struct {
	Blocks  int64 `json:"blocks"`
	Bytes   int64 `json:"bytes"`
	Corrupt int64 `json:"corrupt"`
	Removed int64 `json:"removed"`
	Failed  int64 `json:"failed"`
}

// Verification is the result of checking a PID.
type Verification struct {
	PID            string         `json:"pid"`
	RecordHashOK   bool           `json:"record_hash_ok"`
	SignatureOK    bool           `json:"signature_ok"`
	AuditEntry     *AuditEntry    `json:"audit_entry,omitempty"`
	ContentChecked bool           `json:"content_checked"`
	ContentOK      bool           `json:"content_ok"`
	Stripes        []StripeHealth `json:"stripes,omitempty"`
	Problems       []string       `json:"problems,omitempty"`
	// Placement: where every shard is and whether the catalog's constraints hold (placement.go).
	Placement *PlacementAudit `json:"placement,omitempty"`
}

// StripeHealth is how many shards of a stripe answered.
type StripeHealth struct {
	Index     int `json:"index"`
	Reachable int `json:"reachable"`
	Needed    int `json:"needed"` // k
	Total     int `json:"total"`  // k+m
}

// AuditEntry is one accepted command in the catalog's hash-chained audit log.
type AuditEntry struct {
	Index  uint64    `json:"index"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Digest string    `json:"digest"`
	Chain  string    `json:"chain,omitempty"`
	// Detail says what a governance command did, e.g. "proposal 12 (add-member m4):
	// approved by m2; passed"; it is derived from the state, not part of the chain.
	Detail string `json:"detail,omitempty"`
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    uint64       `json:"next,omitempty"`
}
