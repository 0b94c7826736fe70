package catalog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// addNodes registers n more active nodes of member m (its admin proposes them).
func (f *fixture) addNodes(m string, n int) {
	f.t.Helper()
	for i := range n {
		id := peerOf(f.t, seedKey(fmt.Sprintf("node-%s-extra-%d-%d", m, f.index, i)))
		f.must(m+"-admin", &AddNode{Node: Node{PeerID: id, Member: m, Capacity: 1 << 40, State: NodeActive}})
	}
}

// TestCreateRefusesUnmeetablePlacement: a catalog whose constraints the federation's nodes can
// never meet (even all up, with free space) is refused before it is proposed, saying why; the
// same constraints are accepted once the membership can meet them, and Apply (replaying
// history) never refuses on this ground.
func TestCreateRefusesUnmeetablePlacement(t *testing.T) {
	f := newFixture(t) // nchc TW, aist JP, esa FR: one node each
	f.addNodes("nchc", 2)
	f.addNodes("aist", 1)
	f.addNodes("esa", 1) // TW 3, JP 2, FR 2: the federation of issue 11
	sc := mustScope(t, "member")
	create := func(name string, p Placement) *CreateCatalog {
		return &CreateCatalog{Name: name, Owner: "nchc", Scope: sc, Placement: p}
	}
	f.catalog("c", "nchc", "member")
	for i, tt := range []struct {
		name string
		p    Placement
		want string
	}{
		{"jurisdiction over two regions", Placement{K: 3, M: 2, Jurisdiction: true, AllowedRegions: []string{"JP", "TW"}},
			"jurisdiction mode: each region may hold at most min(k-1, m)=2"},
		{"jurisdiction, k+m too large for the regions", Placement{K: 5, M: 2, Jurisdiction: true},
			"jurisdiction mode"},
		{"allowed region without a member", Placement{K: 2, M: 1, AllowedRegions: []string{"KR", "TW"}},
			"no member of the federation is in KR"},
		{"too few nodes outside the excluded members", Placement{K: 3, M: 2, ExcludedMembers: []string{"nchc"}},
			"k+m=5 shards need 5 eligible nodes"},
		{"more shards than nodes", Placement{K: 6, M: 2}, "need 8 eligible nodes"},
	} {
		err := f.check("nchc-admin", create("x", tt.p))
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "never") {
			t.Errorf("%s: Check = %v, want invalid saying %q", tt.name, err, tt.want)
		}
		if err := f.check("nchc-admin", &SetPlacement{Catalog: "c", Placement: tt.p}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: SetPlacement Check = %v, want invalid saying %q", tt.name, err, tt.want)
		}
		f.must("nchc-admin", create(fmt.Sprintf("hist%d", i), tt.p)) // history replays
	}
	for _, p := range []Placement{
		{K: 3, M: 2, Jurisdiction: true}, // TW 2, JP 2, FR 2 of 7 nodes: placeable
		{K: 2, M: 1, AllowedRegions: []string{"JP", "TW"}},
		{K: 2, M: 2, ExcludedMembers: []string{"nchc"}},
	} {
		if err := f.check("nchc-admin", create("ok", p)); err != nil {
			t.Errorf("%+v: Check = %v, want accepted", p, err)
		}
	}
}
