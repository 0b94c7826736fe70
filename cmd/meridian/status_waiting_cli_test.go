package main

import (
	"strings"
	"testing"
)

// TestStatusSaysRepairWaits: when repair leaves stripes short rather than break a placement
// constraint, status says how many and why; without such stripes it says nothing about it.
func TestStatusSaysRepairWaits(t *testing.T) {
	e := newCLIEnv(t)
	if r := e.admin("status").ok(t); strings.Contains(r.stdout, "repair waits") {
		t.Fatalf("status mentions waiting with nothing waiting:\n%s", r.stdout)
	}
	e.f.waiting, e.f.waitingWhy = 4, "member cap: each member may hold at most 2 of the 5 shards"
	r := e.admin("status").ok(t)
	want := "repair waits     4 stripes: no node that answers may take their missing shards within the catalog's constraints (member cap: each member may hold at most 2 of the 5 shards)"
	if !strings.Contains(r.stdout, want) {
		t.Fatalf("status:\n%s\nwant it to contain:\n%s", r.stdout, want)
	}
}
