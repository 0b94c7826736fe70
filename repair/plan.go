package repair

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// Move is one shard of a stripe to act on.
type Move struct {
	Shard int    // index in the stripe, 0..k+m-1
	From  string // node the shard is copied or deleted from ("" for a rebuild)
	To    string // node that holds the shard afterwards
}

// StripePlan is what one stripe needs, as PlanStripe decided it.
type StripePlan struct {
	Present int    // distinct shards that at least one reachable node holds
	Pending []int  // shards not found, presumed on a holder still within its grace period
	Rebuild []Move // shards no reachable node holds: reconstruct from k others, store on To
	Copy    []Move // shards held only where they may not stay: copy From → To
	Delete  []Move // copies on draining nodes, to delete once To holds a verified copy
	Err     error  // why shards that need a new holder got none; nil when the plan is complete
}

// Work reports whether the plan changes anything.
func (sp *StripePlan) Work() bool {
	return len(sp.Rebuild)+len(sp.Copy)+len(sp.Delete) > 0
}

// Planner plans the stripes of one placement policy under one view of the membership: which
// nodes are draining, which are unreachable but within their grace period (down), and which
// have been unreachable for longer (lost). It is pure and safe for concurrent use.
type Planner struct {
	full  *placement.Plan // every node that may hold shards, as the catalog lists them
	avail *placement.Plan // full without down and lost nodes: where shards may go now
	down  map[string]bool
	gone  map[string]bool // down or lost: never a rebalance target
	drain map[string]bool
}

// NewPlanner prepares a planner. full must list active and draining nodes (draining ones with
// Active false), as the catalog does; down and lost nodes are made inactive for new shards.
func NewPlanner(full *placement.Plan, down, lost []string) *Planner {
	unreachable := append(slices.Clone(down), lost...)
	p := &Planner{full: full, down: set(down), gone: set(unreachable), drain: map[string]bool{}}
	p.avail = full.Without(unreachable...)
	for _, n := range full.Ranked([32]byte{}) {
		if !n.Active {
			p.drain[n.ID] = true
		}
	}
	return p
}

// Policy returns the placement policy the planner works under.
func (p *Planner) Policy() placement.Policy { return p.full.Policy() }

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// PlanStripe decides, for the stripe with placement key key, what must happen so that every
// shard has a holder the policy allows. holders[i] lists the reachable nodes that hold shard i.
// A shard keeps a valid holder; a shard held only on draining or misplaced nodes is copied to
// the holder Plan.Repair picks; a shard nobody holds is rebuilt there, unless the node placement
// expects it on is within its grace period (then it is pending). Copies on draining nodes are
// deleted, never copies elsewhere: a surplus copy costs space, a wrong delete costs a shard.
func (p *Planner) PlanStripe(key [32]byte, holders [][]string) StripePlan {
	n := p.full.Policy().Shards()
	var sp StripePlan
	expected, _ := p.full.Place(key) // nil when the membership cannot place: no pending shards
	assign := make([]string, n)
	pending := make([]bool, n)
	for i := range n {
		hs := at(holders, i)
		if len(hs) > 0 {
			sp.Present++
		}
		assign[i] = p.choose(hs, at1(expected, i))
		if len(hs) == 0 && expected != nil && p.down[expected[i]] {
			assign[i], pending[i] = expected[i], true
			sp.Pending = append(sp.Pending, i)
		}
	}
	target, err := p.avail.Repair(key, assign)
	if err != nil {
		sp.Err = err
		if target = p.partial(key, assign, pending); target == nil {
			p.drainOnly(&sp, holders, assign, pending)
			return sp
		}
	}
	for i := range n {
		p.planShard(&sp, i, at(holders, i), assign[i], target[i], pending[i])
	}
	if len(sp.Rebuild) > 0 && sp.Present < p.full.Policy().K {
		sp.Err = errs.Errorf("repair.PlanStripe", errs.Unavailable,
			"only %d of %d shards are left, %d are needed to rebuild the others: bring back the nodes that hold them",
			sp.Present, n, p.full.Policy().K)
		sp.Rebuild = nil
	}
	return sp
}

// planShard adds what shard i needs: nothing, a rebuild, a copy, deletes from draining nodes.
func (p *Planner) planShard(sp *StripePlan, i int, hs []string, assigned, target string, pending bool) {
	switch {
	case pending || target == "": // target "": no node may take it within the constraints
		return
	case len(hs) == 0:
		sp.Rebuild = append(sp.Rebuild, Move{Shard: i, To: target})
		return
	case target != assigned && !slices.Contains(hs, target):
		sp.Copy = append(sp.Copy, Move{Shard: i, From: assigned, To: target})
	}
	for _, h := range hs {
		if p.drain[h] && h != target {
			sp.Delete = append(sp.Delete, Move{Shard: i, From: h, To: target})
		}
	}
}

// partial returns, when Repair cannot place every misplaced shard of a stripe within the
// constraints, an assignment in which as many as can be are placed, one at a time by
// placement.Plan.Detour (the publish path's rule), and the others are "": repair rebuilds what
// fits and waits for the rest rather than break a cap. It returns nil when none can be placed,
// or when a shard is pending (its holder may return, and would count against the caps).
func (p *Planner) partial(key [32]byte, assign []string, pending []bool) []string {
	bad, err := p.avail.Check(assign)
	if err != nil || len(bad) == 0 || slices.Contains(pending, true) {
		return nil
	}
	out := slices.Clone(assign)
	for _, b := range bad {
		out[b.Shard] = ""
	}
	placed := 0
	for _, b := range bad {
		if id, err := p.avail.Detour(key, out, b.Shard); err == nil {
			out[b.Shard] = id
			placed++
		}
	}
	if placed == 0 {
		return nil
	}
	return out
}

// drainOnly plans, when no new holders can be found, the deletes of draining copies whose shard
// also has a holder that stays.
func (p *Planner) drainOnly(sp *StripePlan, holders [][]string, assign []string, pending []bool) {
	for i, a := range assign {
		if pending[i] || a == "" || p.drain[a] {
			continue
		}
		for _, h := range at(holders, i) {
			if p.drain[h] && h != a {
				sp.Delete = append(sp.Delete, Move{Shard: i, From: h, To: a})
			}
		}
	}
}

// choose picks the holder of a shard to keep: the one placement expects, else the first that is
// not draining, else a draining one ("" when none holds it).
func (p *Planner) choose(hs []string, expected string) string {
	if expected != "" && !p.drain[expected] && slices.Contains(hs, expected) {
		return expected
	}
	for _, h := range hs {
		if !p.drain[h] {
			return h
		}
	}
	if len(hs) > 0 {
		return hs[0]
	}
	return ""
}

func at(holders [][]string, i int) []string {
	if i < len(holders) {
		return holders[i]
	}
	return nil
}

func at1(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// Responsible returns the node that repairs a stripe: the first node in the stripe's rank order
// that is active and alive, so every node that sees the same liveness picks the same one ("" if
// none).
func Responsible(ranked []placement.Node, alive func(id string) bool) string {
	for _, n := range ranked {
		if n.Active && alive(n.ID) {
			return n.ID
		}
	}
	return ""
}
