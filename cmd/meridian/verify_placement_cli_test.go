package main

import (
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

func TestVerifyPlacement(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("v.bin", testData(300000, 5))
	row := func(shard int, node, member, region string) api.ShardHolder {
		return api.ShardHolder{Shard: shard, Node: node, Member: member, Region: region}
	}
	good := api.StripePlacement{Index: 0, Shards: []api.ShardHolder{
		row(0, "n1", "nchc", "TW"), row(1, "n2", "nchc", "TW"), row(2, "n4", "aist", "JP"),
		row(3, "n6", "inria", "FR"), {Shard: 4}}}
	e.f.placement = &api.PlacementAudit{Policy: api.Placement{K: 3, M: 2, Jurisdiction: true},
		MemberCap: 2, RegionCap: 2, OK: true, Stripes: []api.StripePlacement{good}}
	r := e.admin("verify", p, "--placement").ok(t)
	for _, want := range []string{
		"ok    placement constraints (node): every stripe keeps the constraints (k=3 m=2, at most 2 per member, jurisdiction: at most 2 per region)",
		"        stripe 0: ok\n          shard 0  n1  member nchc  region TW\n",
		"          shard 4  (no node answered for it)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("verify --placement:\n%s\nwant it to contain:\n%s", r.stdout, want)
		}
	}
	if r := e.admin("verify", p).ok(t); strings.Contains(r.stdout, "placement") {
		t.Fatalf("verify without --placement shows placement:\n%s", r.stdout)
	}

	bad := good
	bad.Index = 1
	bad.Shards = []api.ShardHolder{row(0, "n1", "nchc", "TW"), row(1, "n2", "nchc", "TW"), row(2, "n3", "nchc", "TW"),
		row(3, "n6", "inria", "FR"), row(4, "n7", "inria", "FR")}
	bad.Breaches = []string{"member cap: member nchc holds 3 shards [0 1 2], at most 2 allowed"}
	e.f.placement.OK = false
	e.f.placement.Stripes = append(e.f.placement.Stripes, bad)
	r = e.admin("verify", p, "--placement").wantCode(t, exitCorrupt)
	for _, want := range []string{
		"FAIL  placement constraints (node): 1 of 2 stripes break a constraint",
		"        stripe 1: BREACH\n",
		"          breach: member cap: member nchc holds 3 shards [0 1 2], at most 2 allowed\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("verify --placement with a breach:\n%s\nwant it to contain:\n%s", r.stdout, want)
		}
	}
	var rep verifyReport
	e.admin("verify", p, "--placement", "--json").wantCode(t, exitCorrupt).decode(t, &rep)
	if rep.OK || rep.Placement == nil || len(rep.Placement.Stripes[1].Breaches) != 1 {
		t.Fatalf("verify --placement --json: %+v", rep)
	}

	e.f.placement = nil // a node that does not report placement
	r = e.admin("verify", p, "--placement").wantCode(t, exitCorrupt)
	if !strings.Contains(r.stdout, "FAIL  placement constraints (node): the node reported no placement") {
		t.Fatalf("verify --placement, no placement reported:\n%s", r.stdout)
	}
}
