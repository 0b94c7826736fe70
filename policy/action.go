package policy

import (
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Action is what a subject wants to do.
type Action uint8

// Actions, in increasing order of power: a role or grant for one covers those below it.
const (
	Read    Action = iota + 1 // resolve, list, download
	Publish                   // add objects to a catalog
	Admin                     // change a catalog's scope, grants, placement; manage members
)

var actionNames = [...]string{Read: "read", Publish: "publish", Admin: "admin"}

// String returns "read", "publish" or "admin".
func (a Action) String() string {
	if a >= Read && a <= Admin {
		return actionNames[a]
	}
	return "invalid"
}

// role names the role an action needs.
func (a Action) role() string { return a.String() }

// ParseAction parses "read", "publish" or "admin".
func ParseAction(s string) (Action, error) {
	for a := Read; a <= Admin; a++ {
		if actionNames[a] == s {
			return a, nil
		}
	}
	return 0, errs.Errorf("policy.ParseAction", errs.Invalid,
		"unknown action %q: use read, publish or admin", s)
}

// MarshalText formats the action for JSON.
func (a Action) MarshalText() ([]byte, error) {
	if a < Read || a > Admin {
		return nil, errs.Errorf("policy.Action.MarshalText", errs.Invalid, "invalid action %d", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText parses the action with ParseAction.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	*a = v
	return err
}

// Roles is a set of roles, one bit per Action.
type Roles uint8

// Role bits.
const (
	RoleRead    Roles = 1 << iota // may read what its member may read
	RolePublish                   // may also publish
	RoleAdmin                     // may also administer
	allRoles    = RoleRead | RolePublish | RoleAdmin
)

// Allows reports whether the roles allow action a: admin ⊇ publish ⊇ read.
func (r Roles) Allows(a Action) bool {
	switch a {
	case Read:
		return r&allRoles != 0
	case Publish:
		return r&(RolePublish|RoleAdmin) != 0
	case Admin:
		return r&RoleAdmin != 0
	}
	return false
}

// String formats the roles as "read,publish,admin" (in that order), or "none".
func (r Roles) String() string {
	var names []string
	for a := Read; a <= Admin; a++ {
		if r&(1<<(a-1)) != 0 {
			names = append(names, a.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// ParseRoles parses a comma-separated list of roles ("read,publish"); "none" or "" is empty.
func ParseRoles(s string) (Roles, error) {
	if s == "" || s == "none" {
		return 0, nil
	}
	var r Roles
	for name := range strings.SplitSeq(s, ",") {
		a, err := ParseAction(name)
		if err != nil {
			return 0, errs.Errorf("policy.ParseRoles", errs.Invalid,
				"unknown role %q: use read, publish and admin, comma-separated", name)
		}
		r |= 1 << (a - 1)
	}
	return r, nil
}

// MarshalText formats the roles for JSON.
func (r Roles) MarshalText() ([]byte, error) {
	if r&^allRoles != 0 {
		return nil, errs.Errorf("policy.Roles.MarshalText", errs.Invalid, "invalid roles %#x", uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText parses the roles with ParseRoles.
func (r *Roles) UnmarshalText(b []byte) error {
	v, err := ParseRoles(string(b))
	*r = v
	return err
}
