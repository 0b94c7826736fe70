package node

import (
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// TestMayRunOwnNode: only an admin of the node's own member may act on the node; an admin of
// another member is told whom to ask.
func TestMayRunOwnNode(t *testing.T) {
	n := &Node{cfg: Config{Member: "nchc"}}
	for _, tc := range []struct {
		name string
		sub  api.Subject
		kind errs.Kind // 0: allowed
		says string
	}{
		{"own admin", api.Subject{Member: "nchc", User: "root", Roles: []string{"admin"}}, 0, ""},
		{"other member's admin", api.Subject{Member: "aist", User: "root", Roles: []string{"admin"}}, errs.Permission, `ask an admin of member "nchc"`},
		{"own reader", api.Subject{Member: "nchc", User: "bob", Roles: []string{"read"}}, errs.Permission, "needs the admin role"},
		{"anonymous", api.Subject{Anonymous: true}, errs.Unauthenticated, "token"},
	} {
		err := n.mayRunOwnNode(tc.sub, "test", "a full scrub of this node")
		if tc.kind == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errs.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: got %v, want %v saying %q", tc.name, err, tc.kind, tc.says)
		}
	}
}
