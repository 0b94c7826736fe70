package policy

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		want Scope
		out  string
	}{
		{"member", Scope{Kind: ScopeMember}, "member"},
		{"federation", Scope{Kind: ScopeFederation}, "federation"},
		{"public", Scope{Kind: ScopePublic}, "public"},
		{"members:aist", Scope{Kind: ScopeMembers, Members: []string{"aist"}}, "members:aist"},
		{"members:nchc,aist,nchc", Scope{Kind: ScopeMembers, Members: []string{"aist", "nchc"}}, "members:aist,nchc"},
	}
	for _, tt := range tests {
		got, err := ParseScope(tt.in)
		if err != nil {
			t.Fatalf("ParseScope(%q): %v", tt.in, err)
		}
		if !reflect.DeepEqual(got, tt.want) || got.String() != tt.out {
			t.Errorf("ParseScope(%q) = %#v (%s), want %#v (%s)", tt.in, got, got, tt.want, tt.out)
		}
	}
	for _, bad := range []string{"", "Member", "members:", "members:a,,b", "members:Aist", "members:1x", "all", "public "} {
		if _, err := ParseScope(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseScope(%q) error = %v, want invalid", bad, err)
		}
	}
}

func TestScopeJSON(t *testing.T) {
	in := struct{ S Scope }{Scope{Kind: ScopeMembers, Members: []string{"a", "b"}}}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"S":"members:a,b"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var out struct{ S Scope }
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip = %#v, %v", out, err)
	}
	if _, err := json.Marshal(struct{ S Scope }{}); err == nil {
		t.Fatal("zero scope marshalled")
	}
}

func TestRolesText(t *testing.T) {
	for _, s := range []string{"none", "read", "publish", "admin", "read,publish", "read,publish,admin"} {
		r, err := ParseRoles(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRoles(%q) = %v (%s)", s, err, r)
		}
	}
	if r, err := ParseRoles("admin,read"); err != nil || r.String() != "read,admin" {
		t.Errorf("ParseRoles(admin,read) = %s, %v", r, err)
	}
	if _, err := ParseRoles("read,owner"); !errs.Is(err, errs.Invalid) {
		t.Errorf("ParseRoles(read,owner) error = %v", err)
	}
}

func TestGrantValidateAndSort(t *testing.T) {
	bad := []Grant{{}, {Action: Read}, {Action: Read, Member: "a", User: "u"}, {Action: 9, Member: "a"}, {Action: Read, Member: "A"}}
	for _, g := range bad {
		if err := g.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("Validate(%+v) = %v, want invalid", g, err)
		}
	}
	gs := SortGrants([]Grant{{Read, "b", ""}, {Admin, "", "u"}, {Read, "b", ""}, {Read, "a", ""}})
	want := []Grant{{Admin, "", "u"}, {Read, "a", ""}, {Read, "b", ""}}
	if !reflect.DeepEqual(gs, want) {
		t.Errorf("SortGrants = %v, want %v", gs, want)
	}
}

// FuzzParseScope checks that any accepted scope formats back to a string that parses to the
// same scope, and that nothing panics.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"member", "members:a,b", "federation", "public", "members:", "members:b,a,a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(sc.String())
		if err != nil || !reflect.DeepEqual(sc, again) {
			t.Fatalf("%q -> %q -> %#v, %v", s, sc, again, err)
		}
	})
}

// FuzzParseRoles checks the roles round trip.
func FuzzParseRoles(f *testing.F) {
	for _, s := range []string{"", "none", "read", "read,publish,admin", "admin,admin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRoles(s)
		if err != nil {
			return
		}
		again, err := ParseRoles(r.String())
		if err != nil || again != r {
			t.Fatalf("%q -> %s -> %s, %v", s, r, again, err)
		}
	})
}
