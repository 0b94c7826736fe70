package policy

import (
	"fmt"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

var (
	roleSets  = []Roles{0, RoleRead, RolePublish, RoleAdmin}
	roleNames = []string{"none", "read", "publish", "admin"}
	scopes    = map[string]Scope{
		"member":     {Kind: ScopeMember},
		"members":    {Kind: ScopeMembers, Members: []string{"listed"}},
		"federation": {Kind: ScopeFederation},
		"public":     {Kind: ScopePublic},
	}
)

// subject builds the subject for a relation to a catalog owned by "owner".
func subject(relation string, roles Roles) Subject {
	switch relation {
	case "owner":
		return Subject{Member: "owner", User: "u-owner", Roles: roles}
	case "listed":
		return Subject{Member: "listed", User: "u-listed", Roles: roles}
	case "other":
		return Subject{Member: "other", User: "u-other", Roles: roles}
	case "anonymous":
		return Subject{Anonymous: true, Roles: roles}
	case "revoked":
		// A revoked token authenticates nobody: the caller passes Anonymous, whatever the
		// user's member and roles were.
		return Subject{Member: "owner", User: "u-owner", Roles: roles, Anonymous: true}
	}
	panic(relation)
}

// TestCanMatrix covers every scope × member relation × role × action without grants. Each
// entry lists, for roles none, read, publish and admin, the allowed actions as "rpa" with '-'
// for a refusal.
func TestCanMatrix(t *testing.T) {
	want := map[string][4]string{
		"member/owner":         {"---", "r--", "rp-", "rpa"},
		"member/listed":        {"---", "---", "---", "---"},
		"member/other":         {"---", "---", "---", "---"},
		"member/anonymous":     {"---", "---", "---", "---"},
		"member/revoked":       {"---", "---", "---", "---"},
		"members/owner":        {"---", "r--", "rp-", "rpa"},
		"members/listed":       {"---", "r--", "r--", "r--"},
		"members/other":        {"---", "---", "---", "---"},
		"members/anonymous":    {"---", "---", "---", "---"},
		"members/revoked":      {"---", "---", "---", "---"},
		"federation/owner":     {"---", "r--", "rp-", "rpa"},
		"federation/listed":    {"---", "r--", "r--", "r--"},
		"federation/other":     {"---", "r--", "r--", "r--"},
		"federation/anonymous": {"---", "---", "---", "---"},
		"federation/revoked":   {"---", "---", "---", "---"},
		"public/owner":         {"r--", "r--", "rp-", "rpa"},
		"public/listed":        {"r--", "r--", "r--", "r--"},
		"public/other":         {"r--", "r--", "r--", "r--"},
		"public/anonymous":     {"r--", "r--", "r--", "r--"},
		"public/revoked":       {"r--", "r--", "r--", "r--"},
	}
	for key, rows := range want {
		var scopeName, relation string
		fmt.Sscanf(replaceSlash(key), "%s %s", &scopeName, &relation)
		r := Resource{Owner: "owner", Scope: scopes[scopeName]}
		for i, roles := range roleSets {
			s := subject(relation, roles)
			checkRow(t, fmt.Sprintf("%s/%s", key, roleNames[i]), s, r, rows[i])
		}
	}
}

// checkRow checks the three actions against a "rpa"-style expectation, and the error kinds of
// refusals: Unauthenticated for anonymous subjects, Permission otherwise.
func checkRow(t *testing.T, name string, s Subject, r Resource, want string) {
	t.Helper()
	for i, a := range []Action{Read, Publish, Admin} {
		err := Can(s, a, r)
		allowed := want[i] != '-'
		if (err == nil) != allowed {
			t.Errorf("%s %s: allowed=%v, want %v (err %v)", name, a, err == nil, allowed, err)
			continue
		}
		if err == nil {
			continue
		}
		wantKind := errs.Permission
		if s.Anonymous {
			wantKind = errs.Unauthenticated
		}
		if !errs.Is(err, wantKind) {
			t.Errorf("%s %s: error kind %v, want %v (%v)", name, a, errs.KindOf(err), wantKind, err)
		}
	}
}

func replaceSlash(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '/' {
			b[i] = ' '
		}
	}
	return string(b)
}

// TestCanGrants covers grants to a member and to a user, on a member-scoped catalog owned by
// "owner", for the subject "other" (user "u-other").
func TestCanGrants(t *testing.T) {
	tests := []struct {
		name  string
		grant Grant
		want  [4]string // by role: none, read, publish, admin
	}{
		{"member read", Grant{Action: Read, Member: "other"}, [4]string{"---", "r--", "r--", "r--"}},
		{"member publish", Grant{Action: Publish, Member: "other"}, [4]string{"---", "r--", "rp-", "rp-"}},
		{"member admin", Grant{Action: Admin, Member: "other"}, [4]string{"---", "r--", "rp-", "rpa"}},
		{"user read", Grant{Action: Read, User: "u-other"}, [4]string{"---", "r--", "r--", "r--"}},
		{"user publish", Grant{Action: Publish, User: "u-other"}, [4]string{"---", "r--", "rp-", "rp-"}},
		{"other user", Grant{Action: Admin, User: "u-someone"}, [4]string{"---", "---", "---", "---"}},
		{"other member", Grant{Action: Admin, Member: "listed"}, [4]string{"---", "---", "---", "---"}},
	}
	for _, tt := range tests {
		r := Resource{Owner: "owner", Scope: Scope{Kind: ScopeMember}, Grants: []Grant{tt.grant}}
		for i, roles := range roleSets {
			checkRow(t, tt.name+"/"+roleNames[i], subject("other", roles), r, tt.want[i])
			// Grants never reach anonymous or revoked subjects.
			checkRow(t, tt.name+"/anon/"+roleNames[i], subject("anonymous", roles), r, "---")
			checkRow(t, tt.name+"/revoked/"+roleNames[i], subject("revoked", roles), r, "---")
		}
	}
}

// TestCanFederation covers the federation-wide resource: members read, admins administer,
// nobody publishes, anonymous nothing.
func TestCanFederation(t *testing.T) {
	want := [4]string{"---", "r--", "r--", "r-a"}
	for i, roles := range roleSets {
		checkRow(t, "federation/"+roleNames[i], subject("other", roles), Federation, want[i])
		checkRow(t, "federation/anon/"+roleNames[i], subject("anonymous", roles), Federation, "---")
	}
}

func TestCanRejectsUnknownAction(t *testing.T) {
	s := subject("owner", RoleAdmin)
	r := Resource{Owner: "owner", Scope: Scope{Kind: ScopePublic}}
	for _, a := range []Action{0, Admin + 1} {
		if err := Can(s, a, r); !errs.Is(err, errs.Invalid) {
			t.Errorf("Can(action %d) = %v, want invalid", a, err)
		}
	}
}
