package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// A topology for the residency property test: the catalog's membership and the nodes that do
// not answer although the catalog lists them as active (killed, partitioned).
type topology struct {
	nodes  []Node
	policy Policy
	down   map[string]bool
}

// randomTopology draws members that mostly sit in one region (sometimes spanning two), a few
// nodes each, random constraints and a random set of unreachable nodes, sometimes a whole member
// or region.
func randomTopology(t testing.TB, rng *rand.Rand, prefix string) topology {
	regions := []string{"TW", "JP", "FR", "US", "KR"}[:1+rng.IntN(5)]
	members := 1 + rng.IntN(5)
	var specs []string
	for m := range members {
		home := regions[rng.IntN(len(regions))]
		for range 1 + rng.IntN(4) {
			r := home
			if rng.IntN(5) == 0 {
				r = regions[rng.IntN(len(regions))]
			}
			specs = append(specs, fmt.Sprintf("m%d/%s", m, r))
		}
	}
	nodes := makeNodes(t, prefix, specs...)
	for i := range nodes {
		nodes[i].Active = rng.IntN(10) != 0
		if rng.IntN(12) == 0 {
			nodes[i].FreeBytes = 0
		}
	}
	p := Policy{K: 1 + rng.IntN(4), M: rng.IntN(4)}
	p.Jurisdiction = p.K >= 2 && p.M >= 1 && rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		p.ExcludedMembers = []string{fmt.Sprintf("m%d", rng.IntN(members))}
	}
	if rng.IntN(4) == 0 {
		p.AllowedRegions = slices.Clone(regions[:1+rng.IntN(len(regions))])
	}
	down := map[string]bool{}
	switch rng.IntN(4) {
	case 0: // a whole region
		r := regions[rng.IntN(len(regions))]
		for _, n := range nodes {
			down[n.ID] = down[n.ID] || n.Region == r
		}
	case 1: // a whole member
		m := fmt.Sprintf("m%d", rng.IntN(members))
		for _, n := range nodes {
			down[n.ID] = down[n.ID] || n.Member == m
		}
	}
	for _, n := range nodes {
		if rng.IntN(6) == 0 {
			down[n.ID] = true
		}
	}
	return topology{nodes: nodes, policy: p, down: down}
}

// breaches checks a layout against the catalog's constraints, computed here without the code
// under test except for the member cap of the whole membership (which the exhaustive-search
// test checks): holders known, active and answering, allowed (region allow-list, excluded
// members, a region in jurisdiction mode), one shard per node, at most the member cap per
// member, and in jurisdiction mode fewer than k and at most m shards per region. "" is a
// missing shard, not a breach.
func breaches(tp topology, memberCap int, layout []string) []string {
	p := tp.policy
	byID := map[string]Node{}
	for _, n := range tp.nodes {
		byID[n.ID] = n
	}
	var out []string
	perMember, perRegion, seen := map[string]int{}, map[string]int{}, map[string]bool{}
	for s, id := range layout {
		if id == "" {
			continue
		}
		n, ok := byID[id]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("shard %d on unknown node", s))
		case !n.Active || tp.down[id]:
			out = append(out, fmt.Sprintf("shard %d on a node that is inactive or down", s))
		case slices.Contains(p.ExcludedMembers, n.Member):
			out = append(out, fmt.Sprintf("shard %d on excluded member %s", s, n.Member))
		case len(p.AllowedRegions) > 0 && !slices.Contains(p.AllowedRegions, n.Region):
			out = append(out, fmt.Sprintf("shard %d in region %s, not allowed", s, n.Region))
		case seen[id]:
			out = append(out, fmt.Sprintf("shard %d on a node holding another shard", s))
		}
		seen[id] = true
		perMember[n.Member]++
		perRegion[n.Region]++
	}
	for m, c := range perMember {
		if c > memberCap {
			out = append(out, fmt.Sprintf("member %s holds %d shards, cap %d", m, c, memberCap))
		}
	}
	for r, c := range perRegion {
		if p.Jurisdiction && (c >= p.K || c > p.M) {
			out = append(out, fmt.Sprintf("jurisdiction: region %s holds %d shards (k=%d, m=%d)", r, c, p.K, p.M))
		}
	}
	slices.Sort(out)
	return out
}

// detourFunc picks a new holder for shard when its holder did not take it; tried lists every
// node that failed so far in this stripe.
type detourFunc func(full *Plan, key [32]byte, assign []string, shard int, tried []string) (string, error)

// detour is the publish path's rule (node.storeShard calls the same).
func detour(full *Plan, key [32]byte, assign []string, shard int, tried []string) (string, error) {
	return full.Without(tried...).Detour(key, assign, shard)
}

// oldDetour is the publish path's rule before residency was enforced on detours: the next
// eligible node in rank order that the stripe has not used. Kept to show that the property test
// finds the breach it caused.
func oldDetour(full *Plan, key [32]byte, assign []string, shard int, tried []string) (string, error) {
	for _, cand := range full.Ranked(key) {
		if full.Policy().Eligible(cand) && !slices.Contains(assign, cand.ID) && !slices.Contains(tried, cand.ID) {
			return cand.ID, nil
		}
	}
	return "", errs.Errorf("oldDetour", errs.Unavailable, "no node left")
}

// publish simulates storing one stripe: every shard goes to its placed holder; a holder that
// is down fails and the shard detours, until a node takes it or none may (then it is missing).
func publish(tp topology, full *Plan, key [32]byte, d detourFunc) ([]string, error) {
	assign, err := full.Place(key)
	if err != nil {
		return nil, err
	}
	var tried []string
	for s := range assign {
		for assign[s] != "" && tp.down[assign[s]] {
			tried = append(tried, assign[s])
			next, err := d(full, key, assign, s, tried)
			if err != nil {
				next = ""
			}
			assign[s] = next
		}
	}
	return assign, nil
}

// residencyTrial drives one topology through every placing path and returns the breaches.
func residencyTrial(t *testing.T, tp topology, k [32]byte, d detourFunc) (breach []string, placed bool) {
	full, err := NewPlan(tp.nodes, tp.policy)
	if err != nil {
		t.Fatal(err)
	}
	cap := full.MemberCap()
	check := func(path string, layout []string) {
		for _, b := range breaches(tp, cap, layout) {
			breach = append(breach, path+": "+b)
		}
		for _, b := range full.Audit(asHolders(layout)) { // verify --placement must agree
			breach = append(breach, path+" (audit): "+b)
		}
	}
	published, err := publish(tp, full, k, d)
	if err != nil {
		return nil, false
	}
	check("publish", published)
	var down []string
	for id := range tp.down {
		down = append(down, id)
	}
	slices.Sort(down)
	avail := full.Without(down...)
	if fixed, err := avail.Repair(k, published); err == nil {
		check("repair", fixed)
	} else if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("repair: %v", err)
	}
	if placed, err := avail.Place(k); err == nil {
		check("place without the down nodes", placed)
	}
	for _, n := range avail.CopyOrder(k) {
		check("manifest copy", []string{n.ID})
	}
	if err := full.Accept(published); err == nil {
		stored := 0
		for _, id := range published {
			if id != "" {
				stored++
			}
		}
		if stored < tp.policy.K {
			breach = append(breach, fmt.Sprintf("accepted with %d of k=%d shards", stored, tp.policy.K))
		}
	}
	return breach, true
}

// TestResidencyProperty drives random topologies, constraints and failed nodes through every
// placing path (publish with its detours, repair, placement over the nodes that answer,
// manifest copies) and checks each layout against the catalog's constraints.
func TestResidencyProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 4))
	placed, detoured := 0, 0
	for trial := range 4000 {
		tp := randomTopology(t, rng, fmt.Sprintf("r%d-", trial))
		breach, ok := residencyTrial(t, tp, key(trial), detour)
		if len(breach) > 0 {
			t.Fatalf("trial %d: %v\npolicy %+v, nodes %+v, down %v", trial, breach, tp.policy, tp.nodes, tp.down)
		}
		if ok {
			placed++
			if len(tp.down) > 0 {
				detoured++
			}
		}
	}
	t.Logf("%d of 4000 topologies placed, %d of them with nodes down", placed, detoured)
	if placed < 1000 || detoured < 500 {
		t.Fatalf("only %d placed (%d with nodes down): the test covers too little", placed, detoured)
	}
}

// TestResidencyPropertyFindsOldDetour points the same property at the detour rule publish used
// before (next eligible node, caps ignored): it must find breaches, so the property test is able
// to see the failure it guards against.
func TestResidencyPropertyFindsOldDetour(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 4))
	found := 0
	for trial := range 4000 {
		tp := randomTopology(t, rng, fmt.Sprintf("r%d-", trial))
		if breach, _ := residencyTrial(t, tp, key(trial), oldDetour); len(breach) > 0 {
			found++
		}
	}
	t.Logf("old detour rule: %d of 4000 topologies breach a constraint", found)
	if found == 0 {
		t.Fatal("the property test finds no breach with the old detour rule")
	}
}

// TestResidencyIssueScenario is the federation of issue 11: TW 3 nodes, JP 2, FR 2 (one member
// each), k=3, m=2, jurisdiction, both JP nodes killed. No stripe may end with TW holding k
// shards, and the publish must be refused (TW 2 + FR 2: losing TW would leave 2 < k).
func TestResidencyIssueScenario(t *testing.T) {
	nodes := makeNodes(t, "issue", "nchc/TW", "nchc/TW", "nchc/TW", "aist/JP", "aist/JP", "inria/FR", "inria/FR")
	tp := topology{nodes: nodes, policy: Policy{K: 3, M: 2, Jurisdiction: true},
		down: map[string]bool{nodes[3].ID: true, nodes[4].ID: true}}
	full, err := NewPlan(nodes, tp.policy)
	if err != nil {
		t.Fatal(err)
	}
	oldBreaches := 0
	for s := range 200 {
		got, err := publish(tp, full, key(s), detour)
		if err != nil {
			t.Fatal(err)
		}
		if b := breaches(tp, full.MemberCap(), got); len(b) > 0 {
			t.Fatalf("stripe %d: %v", s, b)
		}
		err = full.Accept(got)
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "jurisdiction") {
			t.Fatalf("stripe %d stored on %v: Accept = %v, want a jurisdiction refusal", s, got, err)
		}
		old, _ := publish(tp, full, key(s), oldDetour)
		if len(breaches(tp, full.MemberCap(), old)) > 0 {
			oldBreaches++
			if len(full.Audit(asHolders(old))) == 0 {
				t.Fatalf("stripe %d: Audit finds nothing wrong with the old detour's layout %v", s, old)
			}
		}
	}
	if oldBreaches == 0 {
		t.Fatal("the old detour rule breaks no constraint in the issue's scenario")
	}
	t.Logf("old detour rule: %d of 200 stripes breach a constraint", oldBreaches)
}

// asHolders turns an assignment into Audit's form: one holder per shard, none where missing.
func asHolders(layout []string) [][]string {
	out := make([][]string, len(layout))
	for i, id := range layout {
		if id != "" {
			out[i] = []string{id}
		}
	}
	return out
}

func TestAudit(t *testing.T) {
	nodes := makeNodes(t, "au", "a/TW", "a/TW", "a/TW", "b/JP", "b/JP", "c/FR", "c/FR", "x/US")
	id := func(i int) []string { return []string{nodes[i].ID} }
	p := Policy{K: 3, M: 2, Jurisdiction: true, ExcludedMembers: []string{"x"}}
	pl, err := NewPlan(nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		holders [][]string
		want    []string // substrings, one per finding, in order
	}{
		{"good", [][]string{id(0), id(1), id(3), id(4), id(5)}, nil},
		{"missing shards are not breaches", [][]string{id(0), nil, id(3), nil, id(5)}, nil},
		{"TW holds 3: member and region", [][]string{id(0), id(1), id(2), id(3), id(5)},
			[]string{"member cap: member a holds 3", "jurisdiction: region TW holds 3"}},
		{"two copies of one shard count once", [][]string{{nodes[0].ID, nodes[2].ID}, id(1), id(3), id(5), id(6)}, nil},
		{"a surplus copy of another shard counts", [][]string{id(0), id(1), {nodes[3].ID, nodes[2].ID}, id(5), id(6)},
			[]string{"member cap: member a holds 3", "jurisdiction: region TW holds 3"}},
		{"excluded member", [][]string{id(0), id(7), id(3), id(4), id(5)}, []string{"does not allow"}},
		{"two shards on one node", [][]string{id(0), id(0), id(3), id(4), id(5)}, []string{"holds shards [0 1]"}},
		{"unknown node", [][]string{id(0), {peerID(t, "stranger")}, id(3), id(4), id(5)}, []string{"not a node of the federation"}},
	}
	for _, tc := range cases {
		got := pl.Audit(tc.holders)
		if len(got) != len(tc.want) {
			t.Errorf("%s: Audit = %q, want %d findings %q", tc.name, got, len(tc.want), tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s: finding %d = %q, want it to say %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestAcceptAndDetourErrors(t *testing.T) {
	nodes := makeNodes(t, "acc", "tw/TW", "tw/TW", "tw/TW", "jp/JP", "jp/JP", "fr/FR", "fr/FR")
	id := func(i int) string { return nodes[i].ID }
	jur, err := NewPlan(nodes, Policy{K: 3, M: 2, Jurisdiction: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := NewPlan(nodes, Policy{K: 3, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		pl     *Plan
		layout []string
		want   string // "" accepted, else a substring of the refusal
	}{
		{"all stored", jur, []string{id(0), id(1), id(3), id(4), id(5)}, ""},
		{"jurisdiction, one shard missing, every region loss leaves k", jur, []string{id(0), id(3), id(4), id(5), ""}, "losing region JP would leave 2"},
		{"jurisdiction, TW 2 + FR 2", jur, []string{id(0), id(1), "", id(5), id(6)}, "jurisdiction: 4 of 5 shards could be stored (FR:2 TW:2)"},
		{"plain, TW 2 + FR 2: degraded, accepted", plain, []string{id(0), id(1), "", id(5), id(6)}, ""},
		{"fewer than k", plain, []string{id(0), "", "", id(5), ""}, "only 2 of 5 shards could be stored"},
	}
	for _, tc := range cases {
		err := tc.pl.Accept(tc.layout)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Accept = %v, want accepted", tc.name, err)
		case tc.want != "" && (!errs.Is(err, errs.Unavailable) || !strings.Contains(fmt.Sprint(err), tc.want)):
			t.Errorf("%s: Accept = %v, want unavailable saying %q", tc.name, err, tc.want)
		}
	}
	// JP down: TW and FR are at their caps of 2; the only node left (TW's third) would break both.
	_, err = jur.Without(id(3), id(4)).Detour(key(1), []string{id(0), id(1), id(3), id(5), id(6)}, 2)
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "(member cap: member tw already holds 2 shards; jurisdiction: region TW already holds 2 shards)") {
		t.Fatalf("Detour with JP down: %v", err)
	}
	_, err = plain.Without(id(3), id(4)).Detour(key(1), []string{id(0), id(1), id(3), id(5), id(6)}, 2)
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "(member cap: member tw already holds 2 shards)") {
		t.Fatalf("Detour with JP down, plain: %v", err)
	}
	// Every node that answers holds a shard already.
	_, err = plain.Without(id(2), id(3), id(4)).Detour(key(1), []string{id(0), id(1), id(3), id(5), id(6)}, 2)
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "no eligible node is left for shard 2") {
		t.Fatalf("Detour with no node left: %v", err)
	}
}
