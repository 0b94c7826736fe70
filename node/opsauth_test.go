package node

import (
	"os"
	"path/filepath"
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

// TestConfigAccess: node.yaml sets who may read /metrics and /v1/status; a bad setting stops
// the node from loading its config, naming the key.
func TestConfigAccess(t *testing.T) {
	dir := t.TempDir()
	write := func(yaml string) {
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("member: aist\nmetrics_access: network\nmetrics_allow: [10.0.0.0/8, 192.0.2.7]\nstatus_access: open\n")
	c, err := LoadConfig(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.apiAccess()
	if err != nil || len(a.MetricsAllow) != 2 || a.Status != api.StatusOpen || a.Member != "aist" {
		t.Fatalf("apiAccess = %+v, %v", a, err)
	}
	write("member: aist\nmetrics_allow: [10.0.0.0/33]\n")
	if _, err := LoadConfig(dir, nil); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "metrics_allow") {
		t.Errorf("bad metrics_allow: %v", err)
	}
	if _, err := LoadConfig(dir, map[string]any{"metrics_allow": nil, "status_access": "public"}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "status_access") {
		t.Errorf("bad status_access from a flag: %v", err)
	}
}
