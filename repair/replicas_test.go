package repair

import (
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/placement"
)

func TestPlanReplicas(t *testing.T) {
	nodes := makeNodes(t, "a", "b", "c", "d", "e")
	nodes[1].Active = false // draining
	id := func(i ...int) []string {
		var out []string
		for _, x := range i {
			out = append(out, nodes[x].ID)
		}
		return out
	}
	dead := nodes[3].ID
	usable := func(s string) bool { return s != dead }
	cases := []struct {
		name     string
		holders  []string
		copies   int
		to, drop []string
	}{
		{"enough copies", id(0, 2, 4), 3, nil, nil},
		{"surplus copies stay", id(0, 2, 3, 4), 3, nil, nil},
		{"one missing goes to the first usable node", id(0, 2), 3, id(4), nil},
		{"draining copy replaced then dropped", id(0, 1, 2), 3, id(4), id(1)},
		{"only draining copy: every usable node takes one", id(1), 3, id(0, 2, 4), id(1)},
		{"none held: copies (re-encoded) go to the first usable nodes", nil, 2, id(0, 2), nil},
	}
	for _, tc := range cases {
		to, drop := PlanReplicas(nodes, tc.holders, tc.copies, usable)
		if !slices.Equal(to, tc.to) || !slices.Equal(drop, tc.drop) {
			t.Errorf("%s: to %v drop %v, want to %v drop %v", tc.name, to, drop, tc.to, tc.drop)
		}
	}
	to, drop := PlanReplicas(nodes, id(1), 4, usable) // 4 copies, 3 usable active nodes
	if len(to) != 3 || drop != nil {
		t.Errorf("too few places: to %v drop %v; want every usable node and the draining copy kept", to, drop)
	}
}

// TestPlanReplicasKeepsToAllowedNodes: a manifest copy never goes to a node of an excluded
// member, and a copy found there is dropped once allowed nodes hold enough.
func TestPlanReplicasKeepsToAllowedNodes(t *testing.T) {
	nodes := makeNodes(t, "a", "b", "c", "d", "e")
	pol := placement.Policy{K: 2, M: 1, ExcludedMembers: []string{nodes[2].Member}}
	ranked := allowedOnly(nodes, pol)
	to, drop := PlanReplicas(ranked, []string{nodes[0].ID, nodes[2].ID}, 2, func(string) bool { return true })
	if !slices.Equal(to, []string{nodes[1].ID}) || !slices.Equal(drop, []string{nodes[2].ID}) {
		t.Fatalf("to %v drop %v; want the copy moved from the excluded member's node to the next allowed one", to, drop)
	}
}
