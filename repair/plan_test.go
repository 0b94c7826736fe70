package repair

import (
	"crypto/sha256"
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

var pol32 = placement.Policy{K: 3, M: 2}

// one gives shard i the single holder assign[i] ("" for none).
func one(assign []string) [][]string {
	out := make([][]string, len(assign))
	for i, a := range assign {
		if a != "" {
			out[i] = []string{a}
		}
	}
	return out
}

type planCase struct {
	name string
	// nodes named by the shard they hold in the all-active placement (-1: none of them)
	drain, down, lost []int
	holders           func(exp []string, spare string) [][]string
	present           int
	pending           []int
	rebuild           []int
	copies            [][2]int // shard, index of the source in exp
	deletes           []int    // shards whose draining copy is deleted
	errKind           errs.Kind
}

func TestPlanStripe(t *testing.T) {
	cases := []planCase{
		{name: "full", holders: func(e []string, _ string) [][]string { return one(e) }, present: 5},
		{name: "one missing", present: 4, rebuild: []int{2},
			holders: func(e []string, _ string) [][]string { h := one(e); h[2] = nil; return h }},
		{name: "two missing, exactly k left", present: 3, rebuild: []int{0, 4},
			holders: func(e []string, _ string) [][]string { h := one(e); h[0], h[4] = nil, nil; return h }},
		{name: "three missing: lost", present: 2, errKind: errs.Unavailable,
			holders: func(e []string, _ string) [][]string { h := one(e); h[0], h[1], h[4] = nil, nil, nil; return h }},
		{name: "holder down within grace: pending", down: []int{3}, present: 4, pending: []int{3},
			holders: func(e []string, _ string) [][]string { h := one(e); h[3] = nil; return h }},
		{name: "holder lost past grace: rebuilt", lost: []int{3}, present: 4, rebuild: []int{3},
			holders: func(e []string, _ string) [][]string { h := one(e); h[3] = nil; return h }},
		{name: "down holder and a separate missing shard", down: []int{0}, present: 3, pending: []int{0}, rebuild: []int{1},
			holders: func(e []string, _ string) [][]string { h := one(e); h[0], h[1] = nil, nil; return h }},
		{name: "draining holder: copy then delete", drain: []int{1}, present: 5,
			copies: [][2]int{{1, 1}}, deletes: []int{1},
			holders: func(e []string, _ string) [][]string { return one(e) }},
		{name: "draining holder already copied: delete only", drain: []int{1}, present: 5, deletes: []int{1},
			holders: func(e []string, spare string) [][]string { h := one(e); h[1] = []string{spare, e[1]}; return h }},
		{name: "surplus copy on an active node is kept", present: 5,
			holders: func(e []string, spare string) [][]string { h := one(e); h[2] = []string{e[2], spare}; return h }},
		{name: "found on a detour holder: kept", present: 5,
			holders: func(e []string, spare string) [][]string { h := one(e); h[2] = []string{spare}; return h }},
		{name: "one node holds two shards: the later one moves", present: 5, copies: [][2]int{{4, 0}},
			holders: func(e []string, _ string) [][]string { h := one(e); h[4] = []string{e[0]}; return h }},
		{name: "draining and missing together", drain: []int{0}, present: 4, rebuild: []int{2},
			copies: [][2]int{{0, 0}}, deletes: []int{0},
			holders: func(e []string, _ string) [][]string { h := one(e); h[2] = nil; return h }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runPlanCase(t, tc) })
	}
}

func runPlanCase(t *testing.T, tc planCase) {
	nodes := makeNodes(t, "a", "a", "b", "b", "c", "c", "c")
	key := sha256.Sum256([]byte(tc.name))
	all, err := placement.NewPlan(nodes, pol32)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := all.Place(key)
	if err != nil {
		t.Fatal(err)
	}
	spare := ""
	for _, n := range all.Ranked(key) {
		if !slices.Contains(exp, n.ID) && (len(tc.drain) == 0 || n.Member != memberOf(nodes, exp[tc.drain[0]])) {
			spare = n.ID // an unused node, in another member than the drained one (caps stay met)
			break
		}
	}
	ids := func(shards []int) []string {
		var out []string
		for _, s := range shards {
			out = append(out, exp[s])
		}
		return out
	}
	for _, d := range ids(tc.drain) {
		for i := range nodes {
			if nodes[i].ID == d {
				nodes[i].Active = false
			}
		}
	}
	full, err := placement.NewPlan(nodes, pol32)
	if err != nil {
		t.Fatal(err)
	}
	down, lost := ids(tc.down), ids(tc.lost)
	holders := tc.holders(exp, spare)
	sp := NewPlanner(full, down, lost).PlanStripe(key, holders)

	if sp.Present != tc.present {
		t.Errorf("Present = %d, want %d", sp.Present, tc.present)
	}
	if !slices.Equal(sp.Pending, tc.pending) {
		t.Errorf("Pending = %v, want %v", sp.Pending, tc.pending)
	}
	if tc.errKind != 0 {
		if !errs.Is(sp.Err, tc.errKind) {
			t.Errorf("Err = %v, want kind %v", sp.Err, tc.errKind)
		}
	} else if sp.Err != nil {
		t.Errorf("Err = %v", sp.Err)
	}
	if got := shardsOf(sp.Rebuild); !slices.Equal(got, tc.rebuild) {
		t.Errorf("Rebuild shards = %v, want %v (%+v)", got, tc.rebuild, sp.Rebuild)
	}
	var copies [][2]int
	for _, c := range sp.Copy {
		copies = append(copies, [2]int{c.Shard, slices.Index(exp, c.From)})
	}
	if !slices.Equal(copies, tc.copies) {
		t.Errorf("Copy = %v, want %v (%+v)", copies, tc.copies, sp.Copy)
	}
	if got := shardsOf(sp.Delete); !slices.Equal(got, tc.deletes) {
		t.Errorf("Delete shards = %v, want %v (%+v)", got, tc.deletes, sp.Delete)
	}
	checkPlanInvariants(t, full, down, lost, holders, &sp)
}

func memberOf(nodes []placement.Node, id string) string {
	for _, n := range nodes {
		if n.ID == id {
			return n.Member
		}
	}
	return ""
}

func shardsOf(ms []Move) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Shard)
	}
	return out
}

// checkPlanInvariants checks what every plan must satisfy: new holders are active, reachable
// and distinct from the stripe's other holders-to-be; rebuilds only for shards nobody holds;
// copies from a real holder; deletes only of draining copies, towards a holder that will have it.
func checkPlanInvariants(t testing.TB, full *placement.Plan, down, lost []string, holders [][]string, sp *StripePlan) {
	t.Helper()
	active := map[string]bool{}
	for _, n := range full.Ranked([32]byte{}) {
		active[n.ID] = n.Active
	}
	unusable := append(slices.Clone(down), lost...)
	final := make([][]string, full.Policy().Shards())
	for i := range final {
		final[i] = slices.Clone(at(holders, i))
	}
	for _, mv := range append(slices.Clone(sp.Rebuild), sp.Copy...) {
		if !active[mv.To] || slices.Contains(unusable, mv.To) {
			t.Errorf("shard %d goes to %s, which is inactive or unreachable", mv.Shard, mv.To)
		}
		final[mv.Shard] = append(final[mv.Shard], mv.To)
	}
	for _, mv := range sp.Rebuild {
		if len(at(holders, mv.Shard)) > 0 {
			t.Errorf("shard %d is rebuilt though %v hold it", mv.Shard, holders[mv.Shard])
		}
	}
	for _, mv := range sp.Copy {
		if !slices.Contains(at(holders, mv.Shard), mv.From) {
			t.Errorf("shard %d copied from %s, which does not hold it", mv.Shard, mv.From)
		}
	}
	for _, d := range sp.Delete {
		if active[d.From] {
			t.Errorf("shard %d deleted from active node %s", d.Shard, d.From)
		}
		if d.To == d.From || !slices.Contains(final[d.Shard], d.To) {
			t.Errorf("shard %d deleted from %s towards %s, which will not hold it", d.Shard, d.From, d.To)
		}
	}
	if sp.Err == nil && len(sp.Pending) == 0 {
		for i := range final {
			keep := ""
			for _, h := range final[i] {
				if active[h] && !slices.Contains(unusable, h) {
					keep = h
				}
			}
			if keep == "" {
				t.Errorf("shard %d has no active holder after the plan (%v)", i, final[i])
			}
		}
	}
}

func TestResponsible(t *testing.T) {
	nodes := makeNodes(t, "a", "b", "c", "d")
	nodes[0].Active = false // draining: never responsible
	alive := func(id string) bool { return id != nodes[1].ID }
	if got := Responsible(nodes, alive); got != nodes[2].ID {
		t.Fatalf("Responsible = %s, want the first active, alive node %s", got, nodes[2].ID)
	}
	if got := Responsible(nodes[:2], alive); got != "" {
		t.Fatalf("Responsible with no candidate = %q, want none", got)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		present int
		want    Health
	}{{5, Full}, {4, Degraded}, {3, Critical}, {2, Lost}, {0, Lost}} {
		if got := Classify(tc.present, 3, 2); got != tc.want {
			t.Errorf("Classify(%d, 3, 2) = %v, want %v", tc.present, got, tc.want)
		}
	}
}
