package main

import (
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

func TestNodeDrainAndScrubCommands(t *testing.T) {
	e := newCLIEnv(t)
	if r := e.admin("node", "drain", "12D3KooWfake").ok(t); !strings.Contains(r.stdout, "is now draining") {
		t.Fatalf("drain output: %q", r.stdout)
	}
	var n api.NodeInfo
	e.admin("node", "remove", "12D3KooWfake", "--json").ok(t).decode(t, &n)
	if n.State != "gone" {
		t.Fatalf("remove --json: %+v", n)
	}
	if r := e.admin("node", "scrub").ok(t); !strings.Contains(r.stdout, "scrubbed 3 blocks") {
		t.Fatalf("scrub output: %q", r.stdout)
	}
	e.admin("node", "drain").wantCode(t, exitUsage)
}
