package placement

import (
	"fmt"
	"slices"
)

// Audit judges one stripe as it was found: holders[i] lists every node found holding shard i
// (surplus copies included; fewer than k+m entries are missing shards). It returns, in words and
// in shard order, what breaks the catalog's constraints: a copy on a node outside the
// membership or one the policy does not allow (region allow-list, excluded members, no region in
// jurisdiction mode), a node holding copies of two shards, a member holding more distinct shards
// than the member cap, and in jurisdiction mode a region holding more than min(k-1, m). Missing
// shards and copies on draining nodes are not breaches: they are availability, not residency.
// A region holding k distinct shards can rebuild the stripe alone, whether or not each copy
// was placed on purpose, so every copy counts.
func (pl *Plan) Audit(holders [][]string) []string {
	var out []string
	shardsOf := map[string][]int{} // node → distinct shards it holds
	for s, hs := range holders {
		for _, id := range hs {
			i, ok := pl.byID[id]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("shard %d is on %s, which is not a node of the federation", s, id))
				continue
			case !pl.policy.Allowed(pl.entries[i].node):
				out = append(out, fmt.Sprintf("shard %d is on %s (member %s, region %s), which the catalog's placement does not allow",
					s, id, pl.entries[i].node.Member, orNone(pl.entries[i].node.Region)))
			}
			if !slices.Contains(shardsOf[id], s) {
				shardsOf[id] = append(shardsOf[id], s)
			}
		}
	}
	members, regions := map[string][]int{}, map[string][]int{}
	for _, id := range sortedIDs(shardsOf) {
		e := &pl.entries[pl.byID[id]]
		if len(shardsOf[id]) > 1 {
			out = append(out, fmt.Sprintf("node %s holds shards %v: one node may hold one shard of a stripe", id, shardsOf[id]))
		}
		members[e.node.Member] = union(members[e.node.Member], shardsOf[id])
		regions[e.node.Region] = union(regions[e.node.Region], shardsOf[id])
	}
	for _, m := range sortedIDs(members) {
		if len(members[m]) > pl.caps.member {
			out = append(out, fmt.Sprintf("member cap: member %s holds %d shards %v, at most %d allowed", m, len(members[m]), members[m], pl.caps.member))
		}
	}
	for _, r := range sortedIDs(regions) {
		if len(regions[r]) > pl.caps.region {
			out = append(out, fmt.Sprintf("jurisdiction: region %s holds %d shards %v, at most min(k-1, m)=%d allowed", orNone(r), len(regions[r]), regions[r], pl.caps.region))
		}
	}
	return out
}

func union(a, b []int) []int {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	slices.Sort(a)
	return a
}

func sortedIDs(m map[string][]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Node returns the membership's entry for id and whether it is known.
func (pl *Plan) Node(id string) (Node, bool) {
	i, ok := pl.byID[id]
	if !ok {
		return Node{}, false
	}
	return pl.entries[i].node, true
}

// RegionCap returns the most shards of one stripe one region may hold under this plan.
func (pl *Plan) RegionCap() int { return pl.caps.region }
