package node

import (
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
)

// TestStatusCountsForOwnAdminsOnly: the object count (of every catalog) and redundancy are
// shown to admins of the node's own member only; another member's admin, a reader of the own
// member and an anonymous caller get neither. Filling them in for everyone fails it.
func TestStatusCountsForOwnAdminsOnly(t *testing.T) {
	n := &Node{cfg: Config{Member: "nchc"}, state: catalog.New()}
	for _, tc := range []struct {
		name string
		sub  api.Subject
		want bool
	}{
		{"own admin", api.Subject{Member: "nchc", User: "root", Roles: []string{"admin"}}, true},
		{"other member's admin", api.Subject{Member: "aist", User: "root", Roles: []string{"admin"}}, false},
		{"own reader", api.Subject{Member: "nchc", User: "bob", Roles: []string{"read"}}, false},
		{"anonymous", api.Subject{Anonymous: true}, false},
	} {
		var st api.Status
		n.statusCounts(tc.sub, &st)
		if got := st.Objects != nil; got != tc.want {
			t.Errorf("%s: objects shown = %v, want %v", tc.name, got, tc.want)
		}
		if !tc.want && st.Redundancy != nil {
			t.Errorf("%s: redundancy shown", tc.name)
		}
	}
}
