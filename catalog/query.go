package catalog

import (
	"slices"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// Federation returns the federation settings; ok is false before bootstrap.
func (s *State) Federation() (f Federation, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fed == nil {
		return Federation{}, false
	}
	return Federation{Name: s.fed.Name, DefaultPlacement: clonePlacement(s.fed.DefaultPlacement)}, true
}

// Member returns a member (retired ones included).
func (s *State) Member(id string) (Member, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.members[id]
	if m == nil {
		return Member{}, errs.Errorf("catalog.Member", errs.NotExist, "no member %q", id)
	}
	return *m, nil
}

// Members returns every member, retired ones included, sorted by id.
func (s *State) Members() []Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Node returns a registered node.
func (s *State) Node(peerID string) (Node, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.nodes[peerID]
	if n == nil {
		return Node{}, errs.Errorf("catalog.Node", errs.NotExist, "peer %s is not registered", peerID)
	}
	return cloneNode(&n.Node), nil
}

func cloneNode(n *Node) Node {
	c := *n
	c.Addrs = slices.Clone(n.Addrs)
	return c
}

// Nodes returns the nodes in the given states (all nodes when none are given), sorted by
// peer ID.
func (s *State) Nodes(states ...NodeState) []Node {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Node
	for _, n := range s.nodes {
		if len(states) == 0 || slices.Contains(states, n.State) {
			out = append(out, cloneNode(&n.Node))
		}
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.PeerID, b.PeerID) })
	return out
}

// IsRegisteredPeer reports whether the connection gater should admit peerID: a node that is
// active or draining, of an active member.
func (s *State) IsRegisteredPeer(peerID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.nodes[peerID]
	return n != nil && n.State != NodeGone && s.activeMemberLocked(n.Member)
}

// User returns a user, without its token hashes' owners map but with the hashes.
func (s *State) User(id string) (User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.users[id]
	if u == nil {
		return User{}, errs.Errorf("catalog.User", errs.NotExist, "no user %q", id)
	}
	return cloneUser(u), nil
}

func cloneUser(u *User) User {
	c := *u
	c.Key, c.Tokens = slices.Clone(u.Key), slices.Clone(u.Tokens)
	return c
}

// Users returns the users of member (all users when member is empty), sorted by id.
func (s *State) Users(member string) []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []User
	for _, u := range s.users {
		if member == "" || u.Member == member {
			out = append(out, cloneUser(u))
		}
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Catalog returns a catalog's settings.
func (s *State) Catalog(name string) (Catalog, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.catalogs[name]
	if c == nil {
		return Catalog{}, noCatalog("catalog.Catalog", name)
	}
	return cloneCatalog(&c.Catalog), nil
}

func cloneCatalog(c *Catalog) Catalog {
	out := *c
	out.Scope.Members = slices.Clone(c.Scope.Members)
	out.Grants = slices.Clone(c.Grants)
	out.Placement = clonePlacement(c.Placement)
	out.Subscribers = slices.Clone(c.Subscribers)
	return out
}

// Catalogs returns every catalog, sorted by name.
func (s *State) Catalogs() []Catalog {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Catalog, 0, len(s.catalogs))
	for _, c := range s.catalogs {
		out = append(out, cloneCatalog(&c.Catalog))
	}
	slices.SortFunc(out, func(a, b Catalog) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Readers returns the sorted ids of the active members that must hold a wrapped key for the
// objects of catalog.
func (s *State) Readers(catalog string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.catalogs[catalog]
	if c == nil {
		return nil, noCatalog("catalog.Readers", catalog)
	}
	return s.readersLocked(&c.Catalog), nil
}

// Authorize checks, under the current state, whether sub may do a on catalog.
func (s *State) Authorize(sub policy.Subject, a policy.Action, catalog string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.catalogs[catalog]
	if c == nil {
		return noCatalog("catalog.Authorize", catalog)
	}
	return policy.Can(sub, a, c.Resource())
}

// Resolve returns the object a PID names. It does not check read permission; use Authorize
// with the object's catalog.
func (s *State) Resolve(p cid.Cid) (*Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.objects[p]
	if o == nil {
		return nil, errs.Errorf("catalog.Resolve", errs.NotExist, "%s is not published in this federation", pid.Format(p))
	}
	return o, nil
}

// Len returns the number of objects.
func (s *State) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}
