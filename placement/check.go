package placement

import (
	"fmt"

	"github.com/meridian-fed/meridian/errs"
)

// Reason says why a shard is misplaced.
type Reason uint8

// Reasons a shard's holder is wrong, in the order Check tests them.
const (
	Missing    Reason = iota + 1 // no holder recorded ("")
	Unknown                      // the holder is not in the membership (left, or never joined)
	Inactive                     // the holder is draining or gone
	Disallowed                   // the policy excludes the holder's member or region
	Duplicate                    // the holder already holds an earlier shard of the stripe
	MemberOver                   // the holder's member already holds its cap of earlier shards
	RegionOver                   // the holder's region already holds its cap of earlier shards
)

var reasonNames = [...]string{
	Missing: "missing", Unknown: "unknown node", Inactive: "inactive node",
	Disallowed: "not allowed by the policy", Duplicate: "node holds another shard",
	MemberOver: "member over its cap", RegionOver: "region over its cap",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Misplaced is one shard whose holder breaks the policy.
type Misplaced struct {
	Shard  int    // index in the stripe, 0..k+m-1
	Node   string // the recorded holder ("" when missing)
	Reason Reason
}

// Check validates an existing assignment (element i: holder of shard i) against the membership
// and policy and returns the misplaced shards in shard order; none means every shard is where
// the policy allows, though not necessarily where Place would put it today (membership changes
// do not force moves). A full node still counts as a valid holder. When a domain is over its
// cap, the earlier shards keep their place and the later ones are reported.
func (pl *Plan) Check(assignment []string) ([]Misplaced, error) {
	if n := pl.policy.Shards(); len(assignment) != n {
		return nil, errs.Errorf("placement.Check", errs.Invalid,
			"assignment has %d holders, the policy has k+m=%d shards: re-encode or place the stripe anew", len(assignment), n)
	}
	var bad []Misplaced
	mc, rc := make([]int, pl.caps.members), make([]int, pl.caps.regions)
	seen := make(map[string]bool, len(assignment))
	for s, id := range assignment {
		r := pl.reason(id, seen, mc, rc)
		if r != 0 {
			bad = append(bad, Misplaced{Shard: s, Node: id, Reason: r})
			continue
		}
		e := &pl.entries[pl.byID[id]]
		seen[id] = true
		mc[e.member]++
		rc[e.region]++
	}
	return bad, nil
}

func (pl *Plan) reason(id string, seen map[string]bool, mc, rc []int) Reason {
	if id == "" {
		return Missing
	}
	i, ok := pl.byID[id]
	if !ok {
		return Unknown
	}
	e := &pl.entries[i]
	switch {
	case !e.node.Active:
		return Inactive
	case !pl.policy.Allowed(e.node):
		return Disallowed
	case seen[id]:
		return Duplicate
	case mc[e.member] >= pl.caps.member:
		return MemberOver
	case rc[e.region] >= pl.caps.region:
		return RegionOver
	}
	return 0
}

// Check is NewPlan(nodes, p).Check(assignment).
func Check(assignment []string, nodes []Node, p Policy) ([]Misplaced, error) {
	pl, err := NewPlan(nodes, p)
	if err != nil {
		return nil, err
	}
	return pl.Check(assignment)
}
