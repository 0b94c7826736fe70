package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// check runs Check (the proposer's validation) on a command at the next leader time.
func (f *fixture) check(actor string, body Body) error {
	return f.s.Check(f.encode(actor, body))
}

// TestCreateKeepsConstraints: a catalog created without k and m takes them from the
// federation's default and keeps the regions, excluded members and jurisdiction mode asked.
func TestCreateKeepsConstraints(t *testing.T) {
	f := newFixture(t)
	f.addNodes("nchc", 1)
	f.addNodes("aist", 1)
	f.addNodes("esa", 1) // two nodes in each of TW, JP, FR: enough for 3+2 in jurisdiction mode
	asked := Placement{AllowedRegions: []string{"FR", "JP", "TW"}, ExcludedMembers: []string{"jaxa"}, Jurisdiction: true}
	f.must("nchc-admin", &AddMember{Member: member("jaxa"), Admin: &User{ID: "jaxa-admin", Member: "jaxa", Roles: policy.RoleAdmin}})
	body := &CreateCatalog{Name: "jp", Owner: "nchc", Scope: mustScope(t, "member"), Placement: asked}
	if err := f.check("nchc-admin", body); err != nil {
		t.Fatalf("Check: %v", err)
	}
	f.must("nchc-admin", body)
	c, err := f.s.Catalog("jp")
	if err != nil {
		t.Fatal(err)
	}
	want := Placement{K: 3, M: 2, AllowedRegions: []string{"FR", "JP", "TW"}, ExcludedMembers: []string{"jaxa"}, Jurisdiction: true}
	if !equalPlacement(c.Placement, want) {
		t.Fatalf("placement %+v, want %+v", c.Placement, want)
	}
	f.catalog("plain", "nchc", "member")
	if c, _ := f.s.Catalog("plain"); !equalPlacement(c.Placement, Placement{K: 3, M: 2}) {
		t.Fatalf("default placement %+v", c.Placement)
	}
}

func equalPlacement(a, b Placement) bool {
	return a.K == b.K && a.M == b.M && a.Jurisdiction == b.Jurisdiction &&
		slices.Equal(a.AllowedRegions, b.AllowedRegions) && slices.Equal(a.ExcludedMembers, b.ExcludedMembers)
}

// TestCodingPaired: k without m (or m without k) is refused before proposing, with what to
// pass, for both CreateCatalog and SetPlacement.
func TestCodingPaired(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "member")
	sc := mustScope(t, "member")
	for _, tt := range []struct {
		body Body
		want string
	}{
		{&CreateCatalog{Name: "x", Owner: "nchc", Scope: sc, Placement: Placement{K: 3}}, "pass m too"},
		{&CreateCatalog{Name: "x", Owner: "nchc", Scope: sc, Placement: Placement{M: 2}}, "pass k too"},
		{&SetPlacement{Catalog: "c", Placement: Placement{K: 3}}, "pass m too"},
		{&SetPlacement{Catalog: "c", Placement: Placement{M: 2}}, "pass k too"},
		{&SetPlacement{Catalog: "c", Placement: Placement{AllowedRegions: []string{"JP"}}}, "k=3 and m=2"},
	} {
		before := f.s.Digest()
		err := f.check("nchc-admin", tt.body)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: Check = %v, want invalid saying %q", tt.body.Kind(), tt.body, err, tt.want)
		}
		if f.s.Digest() != before {
			t.Fatal("Check changed the state")
		}
	}
	f.addNodes("aist", 2) // three nodes in JP: 2+1 can be placed there
	if err := f.check("nchc-admin", &SetPlacement{Catalog: "c", Placement: Placement{K: 2, M: 1, AllowedRegions: []string{"JP"}}}); err != nil {
		t.Fatalf("k and m given: %v", err)
	}
}

// TestCreateDefaultRefusesBadConstraints: constraints kept with the default coding are
// validated; the message says the coding came from the default.
func TestCreateDefaultRefusesBadConstraints(t *testing.T) {
	f := newFixture(t)
	sc := mustScope(t, "member")
	for _, tt := range []struct {
		p    Placement
		kind errs.Kind
	}{
		{Placement{ExcludedMembers: []string{"ghost"}}, errs.NotExist},
		{Placement{AllowedRegions: []string{"jp"}}, errs.Invalid},
	} {
		err := f.check("nchc-admin", &CreateCatalog{Name: "x", Owner: "nchc", Scope: sc, Placement: tt.p})
		if !errs.Is(err, tt.kind) || !strings.Contains(err.Error(), "federation's default") {
			t.Errorf("%+v: Check = %v, want %v naming the default", tt.p, err, tt.kind)
		}
	}
}

// TestHistoryReplays: commands that older versions accepted are still accepted by Apply, with
// the state older versions gave them, so a committed log replays to the same state.
func TestHistoryReplays(t *testing.T) {
	f := newFixture(t)
	sc := mustScope(t, "member")
	for _, tt := range []struct {
		name string
		p    Placement
		want Placement
	}{
		{"k3", Placement{K: 3}, Placement{K: 3}},                                                                          // k+0 was accepted
		{"m2", Placement{M: 2}, Placement{K: 3, M: 2}},                                                                    // k=0: the whole default
		{"ghost", Placement{ExcludedMembers: []string{"ghost"}, Jurisdiction: true}, Placement{K: 3, M: 2}},               // dropped, as before
		{"badregion", Placement{AllowedRegions: []string{"jp"}, ExcludedMembers: []string{"esa"}}, Placement{K: 3, M: 2}}, // dropped, as before
	} {
		f.must("nchc-admin", &CreateCatalog{Name: tt.name, Owner: "nchc", Scope: sc, Placement: tt.p})
		if c, _ := f.s.Catalog(tt.name); !equalPlacement(c.Placement, tt.want) {
			t.Errorf("%s: applied placement %+v, want %+v", tt.name, c.Placement, tt.want)
		}
	}
	f.catalog("c", "nchc", "member")
	f.must("nchc-admin", &SetPlacement{Catalog: "c", Placement: Placement{K: 4}})
	// Replaying the log on a fresh state reaches the same digest.
	g := New()
	for i, b := range f.log {
		g.Apply(uint64(i+1), b)
	}
	if g.Digest() != f.s.Digest() {
		t.Fatal("replay reached another digest")
	}
}

// TestNoCatalogSaysWhatToDo: a missing catalog's error names the commands that help.
func TestNoCatalogSaysWhatToDo(t *testing.T) {
	f := newFixture(t)
	sub := f.s.Subject("nchc-admin")
	for _, err := range []error{
		f.s.Authorize(sub, policy.Read, "nope"),
		func() error { _, err := f.s.Catalog("nope"); return err }(),
		func() error { _, err := f.s.PlacementPlan("nope"); return err }(),
		f.run("nchc-admin", &SetScope{Catalog: "nope", Scope: mustScope(t, "member")}).Err,
	} {
		if !errs.Is(err, errs.NotExist) || !strings.Contains(err.Error(), "meridian ls") ||
			!strings.Contains(err.Error(), "meridian catalog create nope") {
			t.Errorf("error %v does not say what to do", err)
		}
	}
}
