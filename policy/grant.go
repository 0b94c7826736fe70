package policy

import (
	"cmp"
	"slices"

	"github.com/meridian-fed/meridian/errs"
)

// Grant gives a member's users, or one user, an action on one catalog beyond what the scope
// gives. Exactly one of Member and User is set.
type Grant struct {
	Action Action `json:"action"`
	Member string `json:"member,omitempty"`
	User   string `json:"user,omitempty"`
}

// Covers reports whether g lets s do a (a grant of an action covers the actions below it).
func (g Grant) Covers(s Subject, a Action) bool {
	if g.Action < a || !s.Authenticated() {
		return false
	}
	if g.User != "" {
		return g.User == s.User
	}
	return g.Member == s.Member
}

// Validate checks that the grant names an action and exactly one grantee.
func (g Grant) Validate() error {
	const op = "policy.Grant.Validate"
	if g.Action < Read || g.Action > Admin {
		return errs.Errorf(op, errs.Invalid, "grant has no valid action: use read, publish or admin")
	}
	if (g.Member == "") == (g.User == "") {
		return errs.Errorf(op, errs.Invalid, "a grant names exactly one member or one user")
	}
	if g.Member != "" {
		return ValidMemberID(g.Member)
	}
	return nil
}

// SortGrants sorts grants into their canonical order (by member, then user, then action) and
// removes exact duplicates, so that equal grant sets encode equally.
func SortGrants(gs []Grant) []Grant {
	slices.SortFunc(gs, CompareGrants)
	return slices.Compact(gs)
}

// CompareGrants orders grants canonically: by member, then user, then action.
func CompareGrants(a, b Grant) int {
	return cmp.Or(cmp.Compare(a.Member, b.Member), cmp.Compare(a.User, b.User),
		cmp.Compare(a.Action, b.Action))
}
