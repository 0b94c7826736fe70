package policy

import (
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// ScopeKind says who may read a catalog.
type ScopeKind uint8

// Scope kinds, from narrowest to widest.
const (
	ScopeMember     ScopeKind = iota + 1 // the owner member's users only
	ScopeMembers                         // the owner and the named members
	ScopeFederation                      // every member of the federation
	ScopePublic                          // everyone, anonymous included (read only)
)

// Scope is a catalog's read scope. The zero Scope is invalid.
type Scope struct {
	Kind ScopeKind
	// Members lists the named members of a ScopeMembers scope, sorted and without
	// duplicates; empty for every other kind. The owner is always included implicitly.
	Members []string
}

// MaxMemberID is the longest member id accepted anywhere.
const MaxMemberID = 64

// ParseScope parses "member", "members:a,b", "federation" or "public". The member list of
// "members:" is sorted and deduplicated so that equal scopes format equally.
func ParseScope(s string) (Scope, error) {
	const op = "policy.ParseScope"
	switch s {
	case "member":
		return Scope{Kind: ScopeMember}, nil
	case "federation":
		return Scope{Kind: ScopeFederation}, nil
	case "public":
		return Scope{Kind: ScopePublic}, nil
	}
	list, ok := strings.CutPrefix(s, "members:")
	if !ok {
		return Scope{}, errs.Errorf(op, errs.Invalid,
			"unknown scope %q: use member, members:a,b, federation or public", s)
	}
	var ms []string
	for m := range strings.SplitSeq(list, ",") {
		if err := ValidMemberID(m); err != nil {
			return Scope{}, errs.E(op, errs.Invalid, err)
		}
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return Scope{Kind: ScopeMembers, Members: slices.Compact(ms)}, nil
}

// String formats the scope in the form ParseScope reads; an invalid scope formats as "invalid".
func (s Scope) String() string {
	switch s.Kind {
	case ScopeMember:
		return "member"
	case ScopeMembers:
		return "members:" + strings.Join(s.Members, ",")
	case ScopeFederation:
		return "federation"
	case ScopePublic:
		return "public"
	}
	return "invalid"
}

// MarshalText formats the scope for JSON.
func (s Scope) MarshalText() ([]byte, error) {
	if s.Kind < ScopeMember || s.Kind > ScopePublic {
		return nil, errs.Errorf("policy.Scope.MarshalText", errs.Invalid, "invalid scope kind %d", s.Kind)
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses the scope with ParseScope.
func (s *Scope) UnmarshalText(b []byte) error {
	v, err := ParseScope(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Names reports whether the scope names member m explicitly (ScopeMembers only). Callers
// use Reaches to ask whether a member's users may read.
func (s Scope) Names(m string) bool {
	_, ok := slices.BinarySearch(s.Members, m)
	return s.Kind == ScopeMembers && ok
}

// Reaches reports whether users of member m may read a catalog owned by owner with this scope
// (grants aside). Every federation member is reached by federation and public scopes.
func (s Scope) Reaches(owner, m string) bool {
	if m == "" {
		return false
	}
	switch s.Kind {
	case ScopeMember:
		return m == owner
	case ScopeMembers:
		return m == owner || s.Names(m)
	case ScopeFederation, ScopePublic:
		return true
	}
	return false
}

// ValidMemberID checks a member id: 1 to 64 characters of lower-case letters, digits, '-'
// and '_', starting with a letter.
func ValidMemberID(m string) error {
	if m == "" || len(m) > MaxMemberID {
		return errs.Errorf("policy.ValidMemberID", errs.Invalid,
			"member id %q must be 1 to %d characters", m, MaxMemberID)
	}
	for i, c := range m {
		ok := c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_')
		if !ok {
			return errs.Errorf("policy.ValidMemberID", errs.Invalid,
				"member id %q: use lower-case letters, digits, '-' and '_', starting with a letter", m)
		}
	}
	return nil
}
