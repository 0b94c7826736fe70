package placement

import (
	"fmt"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestDefaultPolicyTable(t *testing.T) {
	tests := []struct {
		members, nodes int
		k, m           int // 0, 0: error
	}{
		{3, 5, 3, 2}, // DESIGN's example
		{5, 10, 8, 2},
		{10, 10, 8, 2},
		{2, 4, 2, 2},
		{1, 5, 3, 2},
		{1, 12, 10, 2},
		{3, 9, 4, 2}, // 4+2 and 6+3 both cost 50%; fewer shards wins
		{6, 40, 10, 2},
		{2, 3, 0, 0},
		{4, 3, 0, 0},
		{0, 5, 0, 0},
	}
	for _, tc := range tests {
		p, err := DefaultPolicy(tc.members, tc.nodes)
		if tc.k == 0 {
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("DefaultPolicy(%d, %d) = %+v, %v; want Invalid", tc.members, tc.nodes, p, err)
			}
			continue
		}
		if err != nil || p.K != tc.k || p.M != tc.m {
			t.Errorf("DefaultPolicy(%d, %d) = %d+%d, %v; want %d+%d", tc.members, tc.nodes, p.K, p.M, err, tc.k, tc.m)
		}
	}
}

// TestDefaultPolicySurvivesMemberLoss places stripes over nodes spread evenly over members and
// checks the rule: any member's loss leaves ≥ k shards, and any m nodes' loss does by k+m ≤ nodes.
func TestDefaultPolicySurvivesMemberLoss(t *testing.T) {
	for members := 2; members <= 6; members++ {
		for nodes := max(4, members); nodes <= 16; nodes++ {
			p, err := DefaultPolicy(members, nodes)
			if err != nil {
				t.Fatalf("DefaultPolicy(%d, %d): %v", members, nodes, err)
			}
			if p.K < 2 || p.M < 2 || p.Shards() > nodes || p.Validate() != nil {
				t.Fatalf("DefaultPolicy(%d, %d) = %+v breaks k ≥ 2, m ≥ 2, k+m ≤ nodes", members, nodes, p)
			}
			specs := make([]string, nodes)
			for i := range specs {
				specs[i] = fmt.Sprintf("m%d", i%members)
			}
			all := makeNodes(t, fmt.Sprintf("dp%d-%d-", members, nodes), specs...)
			pl, err := NewPlan(all, p)
			if err != nil {
				t.Fatal(err)
			}
			for s := range 50 {
				got, err := pl.Place(key(s))
				if err != nil {
					t.Fatal(err)
				}
				perMember, _ := tally(got, all)
				for m, c := range perMember {
					if p.Shards()-c < p.K {
						t.Fatalf("%d members, %d nodes, %d+%d: losing %s leaves %d < k shards", members, nodes, p.K, p.M, m, p.Shards()-c)
					}
				}
			}
		}
	}
}
