// Package catalog is the federation's replicated state machine: members, nodes, users,
// catalogs, objects and the hash-chained audit log, changed only by deterministic commands.
//
// It is pure: Apply is a function of (state, command bytes, raft index) with no clock,
// randomness or I/O, so every replica fed the same log reaches the same Digest. Package
// consensus drives it through raft; package node and api read it through the query methods,
// which are safe to call while Apply runs.
package catalog

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// State is the catalog state. The zero value is not usable; call New. Queries take the read
// lock, Apply and Restore the write lock.
type State struct {
	mu sync.RWMutex

	// All fields are guarded by mu.
	applied  uint64      // raft index of the last accepted command
	fed      *Federation // nil until bootstrapped
	members  map[string]*Member
	nodes    map[string]*nodeEntry
	users    map[string]*User
	tokens   map[Hash]*User // token hash -> owner, for O(1) authentication
	catalogs map[string]*catalogEntry
	objects  map[cid.Cid]*Object
	order    []*Object // every object, in publish order (ascending Index)
	audit    []AuditEntry
	gov      govState // governance.go
	idx      *indexes // derived from order; see index.go
}

type nodeEntry struct {
	Node
	key ed25519.PublicKey // the key embedded in the peer ID: records signed by the node
}

type catalogEntry struct {
	Catalog
	objs []*Object // the catalog's objects in publish order
}

// New returns an empty, not yet bootstrapped state.
func New() *State {
	return &State{
		members:  make(map[string]*Member),
		nodes:    make(map[string]*nodeEntry),
		users:    make(map[string]*User),
		tokens:   make(map[Hash]*User),
		catalogs: make(map[string]*catalogEntry),
		objects:  make(map[cid.Cid]*Object),
		gov:      newGovState(),
		idx:      newIndexes(),
	}
}

// Applied returns the raft index of the last accepted command.
func (s *State) Applied() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// NodePrefix starts the actor name of a node acting for its member ("node:<peer ID>").
const NodePrefix = "node:"

// subjectLocked resolves a command's actor to a policy subject: a user of an active member,
// a registered node (an admin of its member), or anonymous.
func (s *State) subjectLocked(actor string) policy.Subject {
	if peer, ok := strings.CutPrefix(actor, NodePrefix); ok {
		n := s.nodes[peer]
		if n == nil || n.State == NodeGone || !s.activeMemberLocked(n.Member) {
			return policy.Anon
		}
		return policy.Subject{Member: n.Member, User: actor, Roles: policy.RoleAdmin}
	}
	u := s.users[actor]
	if u == nil || !s.activeMemberLocked(u.Member) {
		return policy.Anon
	}
	return policy.Subject{Member: u.Member, User: u.ID, Roles: u.Roles}
}

func (s *State) activeMemberLocked(id string) bool {
	m := s.members[id]
	return m != nil && !m.Retired
}

// Authenticate maps a token hash to its user's subject in O(1). An unknown or revoked token,
// or a user of a retired member, gives errs.Unauthenticated and the anonymous subject.
func (s *State) Authenticate(tokenHash Hash) (policy.Subject, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.tokens[tokenHash]
	if u == nil || !s.activeMemberLocked(u.Member) {
		return policy.Anon, errs.Errorf("catalog.Authenticate", errs.Unauthenticated,
			"unknown or revoked token: ask an admin of your member for a new one")
	}
	return policy.Subject{Member: u.Member, User: u.ID, Roles: u.Roles}, nil
}

// Subject resolves an actor name (user id or "node:<peer ID>") as apply does.
func (s *State) Subject(actor string) policy.Subject {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.subjectLocked(actor)
}

// readersLocked returns the sorted ids of the active members whose users may read c: the
// members its scope reaches plus those its grants name (directly or through a user). Every
// object of c must carry a wrapped key for exactly these members.
func (s *State) readersLocked(c *Catalog) []string {
	var out []string
	add := func(m string) {
		if s.activeMemberLocked(m) {
			out = append(out, m)
		}
	}
	switch c.Scope.Kind {
	case policy.ScopeFederation, policy.ScopePublic:
		for id := range s.members {
			add(id)
		}
	default:
		add(c.Owner)
		for _, m := range c.Scope.Members {
			add(m)
		}
	}
	for _, g := range c.Grants {
		if g.Member != "" {
			add(g.Member)
		} else if u := s.users[g.User]; u != nil {
			add(u.Member)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
