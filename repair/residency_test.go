package repair

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/placement"
)

// resTopology is a random federation for the repair half of the residency property test: the
// catalog's nodes, the catalog's constraints, the nodes that do not answer, and a stripe layout
// placed before the last nodes joined (so rebalance has work).
type resTopology struct {
	nodes  []placement.Node
	policy placement.Policy
	down   []string
	before []string
}

func randomResTopology(t *testing.T, rng *rand.Rand, trial int) (resTopology, bool) {
	regions := []string{"TW", "JP", "FR", "US"}[:1+rng.IntN(4)]
	members := 1 + rng.IntN(5)
	var nodes []placement.Node
	for m := range members {
		home := regions[rng.IntN(len(regions))]
		for range 1 + rng.IntN(4) {
			r := home
			if rng.IntN(5) == 0 {
				r = regions[rng.IntN(len(regions))]
			}
			nodes = append(nodes, placement.Node{ID: peerID(t, fmt.Sprintf("res%d-%d", trial, len(nodes))),
				Member: fmt.Sprintf("m%d", m), Region: r, Active: true, FreeBytes: 1 << 40})
		}
	}
	p := placement.Policy{K: 1 + rng.IntN(4), M: rng.IntN(4)}
	p.Jurisdiction = p.K >= 2 && p.M >= 1 && rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		p.ExcludedMembers = []string{fmt.Sprintf("m%d", rng.IntN(members))}
	}
	joined := rng.IntN(3)
	if len(nodes) <= joined {
		return resTopology{}, false
	}
	earlier, err := placement.NewPlan(nodes[:len(nodes)-joined], p)
	if err != nil {
		t.Fatal(err)
	}
	before, err := earlier.Place(key(trial))
	if err != nil {
		return resTopology{}, false
	}
	tp := resTopology{nodes: nodes, policy: p, before: before}
	for i, n := range nodes {
		switch rng.IntN(8) {
		case 0, 1:
			tp.down = append(tp.down, n.ID)
		case 2: // draining since the stripe was placed: repair copies its shard off (drain)
			tp.nodes[i].Active = false
		}
	}
	return tp, true
}

// resBreaches checks a layout against the constraints, computed here apart from the member cap
// of the whole membership: known, answering and allowed holders, one shard per node, member cap,
// and in jurisdiction mode fewer than k and at most m shards per region.
func resBreaches(tp resTopology, memberCap int, layout []string) []string {
	var out []string
	perMember, perRegion, seen := map[string]int{}, map[string]int{}, map[string]bool{}
	for s, id := range layout {
		i := slices.IndexFunc(tp.nodes, func(n placement.Node) bool { return n.ID == id })
		switch {
		case id == "":
			continue
		case i < 0 || slices.Contains(tp.down, id) || !tp.nodes[i].Active:
			out = append(out, fmt.Sprintf("shard %d on an unknown, down or draining node", s))
			continue
		case slices.Contains(tp.policy.ExcludedMembers, tp.nodes[i].Member):
			out = append(out, fmt.Sprintf("shard %d on excluded member %s", s, tp.nodes[i].Member))
		case seen[id]:
			out = append(out, fmt.Sprintf("shard %d on a node holding another shard", s))
		}
		seen[id] = true
		perMember[tp.nodes[i].Member]++
		perRegion[tp.nodes[i].Region]++
	}
	for m, c := range perMember {
		if c > memberCap {
			out = append(out, fmt.Sprintf("member %s holds %d, cap %d", m, c, memberCap))
		}
	}
	for r, c := range perRegion {
		if tp.policy.Jurisdiction && (c >= tp.policy.K || c > tp.policy.M) {
			out = append(out, fmt.Sprintf("jurisdiction: region %s holds %d", r, c))
		}
	}
	return out
}

// apply returns the layout after a plan's rebuilds and copies (and rebalance moves).
func apply(layout []string, moves ...[]Move) []string {
	out := slices.Clone(layout)
	for _, ms := range moves {
		for _, mv := range ms {
			out[mv.Shard] = mv.To
		}
	}
	return out
}

func moved(shard int, moves ...[]Move) bool {
	for _, ms := range moves {
		if slices.ContainsFunc(ms, func(mv Move) bool { return mv.Shard == shard }) {
			return true
		}
	}
	return false
}

// TestRepairResidencyProperty drives random topologies, constraints, down and draining nodes
// through repair's placing paths (rebuild and drain-copy targets of PlanStripe, Rebalance) and
// checks every resulting layout against the catalog's constraints. Shards on down nodes are
// treated as lost.
func TestRepairResidencyProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 17))
	repaired, partial, drained, rebalanced := 0, 0, 0, 0
	for trial := range 4000 {
		tp, ok := randomResTopology(t, rng, trial)
		if !ok {
			continue
		}
		full, err := placement.NewPlan(tp.nodes, tp.policy)
		if err != nil {
			t.Fatal(err)
		}
		pl := NewPlanner(full, nil, tp.down) // lost: rebuilt now, not pending
		holders := one(tp.before)
		for i, h := range tp.before {
			if slices.Contains(tp.down, h) {
				holders[i] = nil
			}
		}
		// Manifest copies: repair tops up m+1 copies along the allowed nodes only.
		to, _ := PlanReplicas(allowedOnly(full.Ranked(key(trial)), tp.policy), nil, tp.policy.M+1,
			func(id string) bool { return !slices.Contains(tp.down, id) })
		for _, id := range to {
			if b := resBreaches(tp, full.MemberCap(), []string{id}); len(b) > 0 {
				t.Fatalf("trial %d manifest copy: %v\n%+v", trial, b, tp)
			}
		}
		sp := pl.PlanStripe(key(trial), holders)
		if len(sp.Pending) > 0 {
			continue // repair waits: nothing moves
		}
		after := slices.Clone(tp.before)
		for i, h := range after {
			if slices.Contains(tp.down, h) {
				after[i] = "" // lost with its node
			}
		}
		// A shard misplaced before (say over a cap the membership has since lowered) that
		// repair leaves where it is, waiting for a place, is not repair's doing: judge the
		// shards repair keeps or moves.
		bad, _ := full.Without(tp.down...).Check(after)
		for _, b := range bad {
			if !moved(b.Shard, sp.Rebuild, sp.Copy) {
				after[b.Shard] = ""
			}
		}
		after = apply(after, sp.Rebuild, sp.Copy)
		if len(sp.Copy) > 0 {
			drained++
		}
		if sp.Work() {
			repaired++
			if sp.Err != nil {
				partial++
			}
		}
		if b := resBreaches(tp, full.MemberCap(), after); len(b) > 0 {
			t.Fatalf("trial %d repair: %v\nplan %+v\nbefore %v\nafter %v\n%+v", trial, b, sp, tp.before, after, tp)
		}
		if sp.Err != nil {
			continue // a stripe still short is not rebalanced
		}
		moves := pl.Rebalance(key(trial), one(after))
		if len(moves) > 0 {
			rebalanced++
			if b := resBreaches(tp, full.MemberCap(), apply(after, moves)); len(b) > 0 {
				t.Fatalf("trial %d rebalance: %v\n%+v", trial, b, tp)
			}
		}
	}
	t.Logf("4000 topologies: %d stripes repaired (%d only in part: the rest waits; %d with copies off draining nodes), %d rebalanced",
		repaired, partial, drained, rebalanced)
	if repaired < 200 || partial < 20 || drained < 100 || rebalanced < 150 {
		t.Fatalf("only %d repaired and %d rebalanced: the test covers too little", repaired, rebalanced)
	}
}

func key(i int) [32]byte { return sha256.Sum256(fmt.Appendf(nil, "residency %d", i)) }

// TestRepairWaitsRatherThanBreakTheMemberCap: member b (two of seven nodes) is lost. Its shards
// could go to a's third node, but a would then hold 3 of 5 shards where the membership allows 2
// per member, so losing a would lose data. Repair rebuilds what fits and waits for the rest,
// and its report says why (status shows it).
func TestRepairWaitsRatherThanBreakTheMemberCap(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "a", "b", "b", "c", "c")
	f.publish("o1", 400<<10)
	for _, i := range []int{3, 4} {
		f.net.setDown(f.nodes[i].ID, true)
		f.net.wipe(f.nodes[i].ID)
	}
	f.passAll()
	f.clock.advance(DefaultConfig().Grace)
	rep := f.passAll()
	if rep.Unplaceable == 0 || !strings.Contains(rep.UnplaceableWhy, "member cap") || rep.Rebuilt == 0 {
		t.Fatalf("report %+v: want the shards that fit rebuilt and stripes waiting, with the member cap named", rep)
	}
	t.Logf("repair waits: %s", rep.UnplaceableWhy)
	f.eachStripe(func(st *chunker.Stripe) {
		perMember := map[string]int{}
		for _, c := range st.Shards {
			for _, h := range f.net.holders(c) {
				perMember[f.nodes[slices.IndexFunc(f.nodes, func(n placement.Node) bool { return n.ID == h })].Member]++
			}
		}
		for m, n := range perMember {
			if n > 2 {
				t.Fatalf("member %s holds %d shards of a stripe after repair, cap 2: %v", m, n, perMember)
			}
		}
	})
}
