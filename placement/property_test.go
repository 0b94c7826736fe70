package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBalance: 10 equal nodes, 100k stripes; max/mean shards per node must stay ≤ 1.10.
func TestBalance(t *testing.T) {
	for _, p := range []Policy{{K: 3, M: 2}, {K: 6, M: 3}, {K: 1, M: 1}} {
		t.Run(fmt.Sprintf("%d+%d", p.K, p.M), func(t *testing.T) {
			specs := make([]string, 10)
			for i := range specs {
				specs[i] = fmt.Sprintf("m%d/R", i)
			}
			pl, err := NewPlan(makeNodes(t, "bal", specs...), p)
			if err != nil {
				t.Fatal(err)
			}
			perNode := map[string]int{}
			const stripes = 100_000
			for s := range stripes {
				got, err := pl.Place(key(s))
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range got {
					perNode[id]++
				}
			}
			mean := float64(stripes*p.Shards()) / 10
			worst := 0
			for _, c := range perNode {
				worst = max(worst, c)
			}
			ratio := float64(worst) / mean
			t.Logf("k+m=%d+%d, 10 nodes, %d stripes: max/mean = %.4f", p.K, p.M, stripes, ratio)
			if ratio > 1.10 {
				t.Errorf("max/mean = %.4f, want ≤ 1.10", ratio)
			}
		})
	}
}

// TestStability: adding one node to N moves few shards. The floor is 1/(N+1) (the new node's
// fair share); we accept up to 2.5× that and log the figure.
func TestStability(t *testing.T) {
	for _, tc := range []struct {
		n, members int
		newMember  bool // the added node belongs to a new member
	}{{5, 5, false}, {10, 10, false}, {10, 5, false}, {20, 20, false}, {50, 10, false},
		{9, 3, false}, {9, 3, true}} {
		t.Run(fmt.Sprintf("N=%d/members=%d/new-member=%v", tc.n, tc.members, tc.newMember), func(t *testing.T) {
			specs := make([]string, tc.n+1)
			for i := range specs {
				specs[i] = fmt.Sprintf("m%d", i%tc.members)
			}
			if tc.newMember {
				specs[tc.n] = "newcomer"
			}
			all := makeNodes(t, "stab", specs...)
			p := Policy{K: 3, M: 2}
			before, err := NewPlan(all[:tc.n], p)
			if err != nil {
				t.Fatal(err)
			}
			after, err := NewPlan(all, p)
			if err != nil {
				t.Fatal(err)
			}
			const stripes = 20_000
			moved := 0
			for s := range stripes {
				a, err1 := before.Place(key(s))
				b, err2 := after.Place(key(s))
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				for i := range a {
					if a[i] != b[i] {
						moved++
					}
				}
			}
			frac := float64(moved) / float64(stripes*p.Shards())
			ideal := 1 / float64(tc.n+1)
			t.Logf("N=%d→%d (%d members, new member %v): %.4f of shards move (floor 1/(N+1) = %.4f, ratio %.2f)",
				tc.n, tc.n+1, tc.members, tc.newMember, frac, ideal, frac/ideal)
			if frac > 2.5*ideal {
				t.Errorf("moved %.4f of shards, want ≤ %.4f", frac, 2.5*ideal)
			}
		})
	}
}

// randomMembership draws a small federation where members may span regions.
func randomMembership(t testing.TB, rng *rand.Rand, prefix string) []Node {
	members := []string{"a", "b", "c", "d"}[:1+rng.IntN(4)]
	regions := []string{"JP", "TW", "KR", "US"}[:1+rng.IntN(4)]
	specs := make([]string, 2+rng.IntN(8))
	for i := range specs {
		specs[i] = members[rng.IntN(len(members))] + "/" + regions[rng.IntN(len(regions))]
	}
	nodes := makeNodes(t, prefix, specs...)
	for i := range nodes {
		nodes[i].Active = rng.IntN(8) != 0
		if rng.IntN(8) == 0 {
			nodes[i].FreeBytes = 0
		}
	}
	return nodes
}

func randomPolicy(rng *rand.Rand) Policy {
	p := Policy{K: 1 + rng.IntN(4), M: rng.IntN(4)}
	p.Jurisdiction = p.K >= 2 && p.M >= 1 && rng.IntN(2) == 0
	if rng.IntN(5) == 0 {
		p.ExcludedMembers = []string{"a"}
	}
	return p
}

// TestPlaceMatchesExhaustiveSearch compares Place with a brute force over every subset of the
// eligible nodes: Place succeeds exactly when some subset fits the caps, uses the smallest
// member cap that any placement can meet, and picks the first such subset in XOR order.
func TestPlaceMatchesExhaustiveSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 3000 {
		nodes := randomMembership(t, rng, fmt.Sprintf("t%d-", trial))
		p := randomPolicy(rng)
		k := key(trial)
		ranked, err := Ranked(k, nodes, p)
		if err != nil {
			t.Fatal(err)
		}
		var elig []Node
		for _, n := range ranked {
			if p.Eligible(n) {
				elig = append(elig, n)
			}
		}
		want, wantCap := bruteForce(elig, p)
		got, err := Place(k, nodes, p)
		if (want == nil) != (err != nil) {
			t.Fatalf("trial %d %+v %+v: Place err = %v, brute force found %v", trial, p, nodes, err, want)
		}
		if want == nil {
			continue
		}
		perMember, _ := tally(got, nodes)
		for m, c := range perMember {
			if c > wantCap {
				t.Fatalf("trial %d: member %s holds %d, smallest feasible cap is %d", trial, m, c, wantCap)
			}
		}
		gotSorted, wantSorted := slices.Clone(got), slices.Clone(want)
		slices.Sort(gotSorted)
		slices.Sort(wantSorted)
		if !slices.Equal(gotSorted, wantSorted) {
			t.Fatalf("trial %d %+v: holders %v, first feasible set in XOR order %v", trial, p, got, want)
		}
		checkAssignment(t, got, nodes, p)
	}
}

// bruteForce returns the lexicographically first (in elig's order) set of k+m nodes that keeps
// every region within p.RegionCap and every member within the smallest cap any set can meet.
func bruteForce(elig []Node, p Policy) (best []string, memberCap int) {
	n := p.Shards()
	for c := 1; c <= n; c++ {
		if set := firstSubset(elig, n, c, p.RegionCap()); set != nil {
			return set, c
		}
	}
	return nil, 0
}

func firstSubset(elig []Node, n, memberCap, regionCap int) []string {
	var pick []int
	var rec func(from int) bool
	rec = func(from int) bool {
		if len(pick) == n {
			return true
		}
		for i := from; i < len(elig); i++ {
			pick = append(pick, i)
			if fits(elig, pick, memberCap, regionCap) && rec(i+1) {
				return true
			}
			pick = pick[:len(pick)-1]
		}
		return false
	}
	if !rec(0) {
		return nil
	}
	out := make([]string, n)
	for j, i := range pick {
		out[j] = elig[i].ID
	}
	return out
}

func fits(elig []Node, pick []int, memberCap, regionCap int) bool {
	mc, rc := map[string]int{}, map[string]int{}
	for _, i := range pick {
		mc[elig[i].Member]++
		rc[elig[i].Region]++
		if mc[elig[i].Member] > memberCap || rc[elig[i].Region] > regionCap {
			return false
		}
	}
	return true
}

// TestJurisdictionProperty: whenever Place succeeds in jurisdiction mode, no region can
// reconstruct a stripe alone and losing any one region leaves at least k shards.
func TestJurisdictionProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	placed := 0
	for trial := range 2000 {
		nodes := randomMembership(t, rng, fmt.Sprintf("j%d-", trial))
		nodes = append(nodes, randomMembership(t, rng, fmt.Sprintf("jj%d-", trial))...)
		p := Policy{K: 2 + rng.IntN(3), M: 1 + rng.IntN(3), Jurisdiction: true}
		got, err := Place(key(trial), nodes, p)
		if err != nil {
			continue
		}
		placed++
		_, perRegion := tally(got, nodes)
		for r, c := range perRegion {
			if c >= p.K || p.Shards()-c < p.K {
				t.Fatalf("trial %d %+v: region %s holds %d of %d shards", trial, p, r, c, p.Shards())
			}
		}
	}
	if placed < 100 {
		t.Fatalf("only %d of 2000 random federations could be placed; the test covers too little", placed)
	}
}
