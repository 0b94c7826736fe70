package placement

import (
	"fmt"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// computeCaps sets the per-member cap to the smallest value the eligible nodes can satisfy:
// ⌈(k+m)/members⌉ when every member has enough nodes, higher when members are uneven (then
// members with more nodes take the rest, still one shard per node). The region cap is hard.
// With too few eligible nodes the caps are computed over every node that may hold shards
// (active and allowed, full or not), so Check and Repair still judge existing holders. A plan
// derived by Without keeps its parent's member cap (pl.fixed: failures do not relax it) and
// only says which cap the nodes that answer cannot meet.
func (pl *Plan) computeCaps() (caps, error) {
	const op = "placement.Place"
	c := pl.caps
	n := pl.policy.Shards()
	c.region = pl.policy.RegionCap()
	pool := pl.eligible
	pl.short = len(pool) < n
	if pl.short {
		pool = pl.holders()
	}
	if !pl.fixed {
		c.member = pl.memberCap(c, pool)
	}
	switch {
	case pl.short:
		return c, errs.Errorf(op, errs.Unavailable,
			"k+m=%d shards need %d eligible nodes (one shard per node), have %d%s: add nodes, free space, allow more regions or members, or lower k+m",
			n, n, len(pl.eligible), pl.ineligibleSummary())
	case pl.fixed:
		return c, pl.fixedCapsErr(c, pool)
	case !pl.feasible(c, pool, nil):
		return c, errs.Errorf(op, errs.Unavailable,
			"jurisdiction mode: each region may hold at most min(k-1, m)=%d of the %d shards, and the eligible nodes (%s) cannot spread that far: add nodes in more regions, allow more regions, or raise m / lower k",
			c.region, n, pl.regionSummary())
	}
	return c, nil
}

// fixedCapsErr says which inherited cap the nodes that answer cannot meet, or nil.
func (pl *Plan) fixedCapsErr(c caps, pool []int) error {
	const op = "placement.Place"
	n := pl.policy.Shards()
	switch {
	case pl.feasible(c, pool, nil):
		return nil
	case pl.feasible(c.withMember(n), pool, nil):
		return errs.Errorf(op, errs.Unavailable,
			"member cap: each member may hold at most %d of the %d shards of a stripe, and the nodes that answer (%s) cannot spread that far: bring the unreachable nodes back or add nodes in other members",
			c.member, n, pl.memberSummary())
	}
	return errs.Errorf(op, errs.Unavailable,
		"jurisdiction mode: each region may hold at most min(k-1, m)=%d of the %d shards, and the nodes that answer (%s) cannot spread that far: bring the unreachable nodes back, or add nodes in more regions",
		c.region, n, pl.regionSummary())
}

// memberCap returns the smallest per-member cap under which pool can hold k+m shards, or k+m.
func (pl *Plan) memberCap(c caps, pool []int) int {
	n := pl.policy.Shards()
	perMember := make([]int, c.members)
	used := 0
	for _, i := range pool {
		if perMember[pl.entries[i].member] == 0 {
			used++
		}
		perMember[pl.entries[i].member]++
	}
	if used == 0 {
		return n
	}
	m := (n + used - 1) / used
	for ; m < n && sumMin(perMember, m) < n; m++ {
	}
	for ; m < n && !pl.feasible(c.withMember(m), pool, nil); m++ {
	}
	return m
}

// holders returns the nodes that may hold shards: active and allowed, full or not.
func (pl *Plan) holders() []int {
	var out []int
	for i, e := range pl.entries {
		if e.node.Active && pl.policy.Allowed(e.node) {
			out = append(out, i)
		}
	}
	return out
}

func (c caps) withMember(m int) caps { c.member = m; return c }

func sumMin(sizes []int, c int) int {
	s := 0
	for _, x := range sizes {
		s += min(x, c)
	}
	return s
}

// ineligibleSummary says why nodes are not eligible, for error messages.
func (pl *Plan) ineligibleSummary() string {
	var inactive, full, disallowed int
	for _, e := range pl.entries {
		switch {
		case !pl.policy.Allowed(e.node):
			disallowed++
		case !e.node.Active:
			inactive++
		case e.node.FreeBytes <= 0:
			full++
		}
	}
	if inactive+full+disallowed == 0 {
		return ""
	}
	return fmt.Sprintf(" (of %d nodes: %d not allowed by the policy, %d inactive, %d full)",
		len(pl.entries), disallowed, inactive, full)
}

// regionSummary lists eligible nodes per region, e.g. "JP:3 TW:2".
func (pl *Plan) regionSummary() string {
	return pl.summary(pl.caps.regions, func(e *entry) (int, string) { return e.region, e.node.Region }, pl.eligible)
}

// memberSummary lists eligible nodes per member, e.g. "aist:2 nchc:3".
func (pl *Plan) memberSummary() string {
	return pl.summary(pl.caps.members, func(e *entry) (int, string) { return e.member, e.node.Member }, pl.eligible)
}

// summary counts the nodes idx per domain (domain gives an entry's index and name) and lists
// the non-empty domains in index order.
func (pl *Plan) summary(size int, domain func(*entry) (int, string), idx []int) string {
	names := make([]string, size)
	counts := make([]int, size)
	for i := range pl.entries {
		d, name := domain(&pl.entries[i])
		names[d] = name
	}
	for _, i := range idx {
		d, _ := domain(&pl.entries[i])
		counts[d]++
	}
	var b strings.Builder
	for d, name := range names {
		if counts[d] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(&b, "%s:%d", name, counts[d])
	}
	return b.String()
}
