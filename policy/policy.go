// Package policy decides whether a subject may read, publish into or administer a catalog or
// the federation; it is pure (values in, decision out) and imports only errs.
//
// The model is upspin's access.Can: the caller (catalog, api) resolves the authenticated
// subject and the resource from catalog state and passes them as values; policy does no I/O
// and keeps no state.
package policy

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
)

// Subject is who asks. A caller that could not authenticate the request (no token, unknown
// or revoked token, user of a retired member) passes Anonymous.
type Subject struct {
	Member    string // the user's member; empty when Anonymous
	User      string // the user id (or "node:<peer ID>" for a node acting for its member)
	Roles     Roles
	Anonymous bool
}

// Anon is the unauthenticated subject.
var Anon = Subject{Anonymous: true}

// Authenticated reports whether s names a member.
func (s Subject) Authenticated() bool { return !s.Anonymous && s.Member != "" }

// Resource is what the subject acts on: a catalog (Owner set) or the federation itself
// (Owner empty: its read is open to every member's users, its admin to every member's admins,
// and nobody publishes into it).
type Resource struct {
	Owner  string // the owning member of a catalog; empty for the federation
	Scope  Scope
	Grants []Grant
}

// Federation is the federation-wide resource (membership, nodes, users).
var Federation = Resource{Scope: Scope{Kind: ScopeFederation}}

// Can reports nil when s may do a on r. Otherwise the error has kind Unauthenticated (sign in
// first) or Permission (ask an admin), with a message that says which.
//
// Rules:
//   - read of a public catalog is open to everyone, anonymous included;
//   - everything else needs an authenticated subject whose roles allow the action
//     (admin ⊇ publish ⊇ read);
//   - read: the scope reaches the subject's member, or a grant covers the subject;
//   - publish and admin: the subject belongs to the owner member, or a grant covers the subject.
func Can(s Subject, a Action, r Resource) error {
	const op = "policy.Can"
	if a < Read || a > Admin {
		return errs.Errorf(op, errs.Invalid, "unknown action %d", a)
	}
	if a == Read && r.Owner != "" && r.Scope.Kind == ScopePublic {
		return nil
	}
	if !s.Authenticated() {
		return errs.Errorf(op, errs.Unauthenticated,
			"%s needs a signed-in user: send a valid bearer token (a revoked token is not valid)", a)
	}
	if !s.Roles.Allows(a) {
		return errs.Errorf(op, errs.Permission,
			"user %q of member %q has roles %q, %s needs the %s role: ask an admin of %s to grant it",
			s.User, s.Member, s.Roles, a, a.role(), s.Member)
	}
	if related(s, a, r) {
		return nil
	}
	if r.Owner == "" {
		return errs.Errorf(op, errs.Permission, "nobody may %s the federation itself; pick a catalog", a)
	}
	return errs.Errorf(op, errs.Permission,
		"member %q may not %s what member %q owns (scope %s): ask an admin of %s for a grant",
		s.Member, a, r.Owner, r.Scope, r.Owner)
}

// related reports whether the subject's relation to r (ownership, scope, grants) allows a,
// roles aside.
func related(s Subject, a Action, r Resource) bool {
	if r.Owner == "" {
		return a != Publish
	}
	if s.Member == r.Owner {
		return true
	}
	if a == Read && r.Scope.Reaches(r.Owner, s.Member) {
		return true
	}
	return slices.ContainsFunc(r.Grants, func(g Grant) bool { return g.Covers(s, a) })
}
