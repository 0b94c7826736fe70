package placement

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Detour returns the node that takes shard when its holder in assignment did not take it (a
// publish retrying elsewhere): the first eligible node of pl in rank order for key that holds
// no other shard of the stripe and whose member and region are still under their caps, counting
// the other holders in assignment ("" for shards without one yet). Build pl with Without(every
// node that failed) so that failed nodes are not chosen again and the caps stay those of the
// whole membership. It is Repair's rule for a single shard; when no node can take the shard
// without breaking a constraint it fails (errs.Unavailable) naming the constraint, and the
// shard stays missing rather than misplaced.
func (pl *Plan) Detour(key [32]byte, assignment []string, shard int) (string, error) {
	const op = "placement.Detour"
	n := pl.policy.Shards()
	if len(assignment) != n || shard < 0 || shard >= n {
		return "", errs.Errorf(op, errs.Invalid, "shard %d of an assignment of %d holders, the policy has k+m=%d shards", shard, len(assignment), n)
	}
	mc, rc := make([]int, pl.caps.members), make([]int, pl.caps.regions)
	var kept []int
	for s, id := range assignment {
		i, ok := pl.byID[id]
		if s == shard || !ok || !pl.entries[i].node.Active {
			continue // a holder that failed (inactive in pl) is itself being replaced
		}
		kept = append(kept, i)
		mc[pl.entries[i].member]++
		rc[pl.entries[i].region]++
	}
	ranked := pl.rank(key, pl.eligible)
	order := make([]int, len(ranked))
	for j, r := range ranked {
		order[j] = r.i
	}
	if chosen, ok := pl.greedy(order, kept, len(kept)+1); ok {
		return pl.entries[chosen[len(kept)]].node.ID, nil
	}
	atMember, atRegion := pl.blocked(order, kept, mc, rc)
	return "", pl.detourErr(shard, atMember, atRegion)
}

// blocked lists the members and regions whose caps keep each node of order (other than kept)
// from taking one more shard.
func (pl *Plan) blocked(order, kept []int, mc, rc []int) (atMember, atRegion []string) {
	for _, i := range order {
		e := &pl.entries[i]
		if slices.Contains(kept, i) {
			continue
		}
		if mc[e.member] >= pl.caps.member {
			atMember = appendNew(atMember, e.node.Member)
		}
		if rc[e.region] >= pl.caps.region {
			atRegion = appendNew(atRegion, e.node.Region)
		}
	}
	return atMember, atRegion
}

// detourErr says why no node could take a shard: which caps the remaining nodes would break.
func (pl *Plan) detourErr(shard int, atMember, atRegion []string) error {
	const op = "placement.Detour"
	if len(atMember)+len(atRegion) == 0 {
		return errs.Errorf(op, errs.Unavailable,
			"no eligible node is left for shard %d: every node that answers and may hold shards already holds one of this stripe%s; bring nodes back or add nodes",
			shard, pl.ineligibleSummary())
	}
	var why []string
	if len(atMember) > 0 {
		why = append(why, "member cap: "+atCap("member", atMember, pl.caps.member))
	}
	if len(atRegion) > 0 {
		why = append(why, "jurisdiction: "+atCap("region", atRegion, pl.caps.region))
	}
	return errs.Errorf(op, errs.Unavailable,
		"no node may take shard %d without breaking the catalog's constraints (%s): bring back the nodes that do not answer, or add nodes in other members or regions",
		shard, strings.Join(why, "; "))
}

// atCap says that the named domains hold their cap: "member tw already holds 2 shards",
// "regions TW, FR already hold 2 shards each".
func atCap(what string, names []string, c int) string {
	if len(names) == 1 {
		return fmt.Sprintf("%s %s already holds %d shards", what, names[0], c)
	}
	return fmt.Sprintf("%ss %s already hold %d shards each", what, strings.Join(names, ", "), c)
}

func appendNew(s []string, v string) []string {
	if v == "" {
		v = "(none)"
	}
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// CopyOrder returns the nodes that may hold a whole copy of a replicated block (a manifest) for
// key, in rank order: active and allowed by the policy (region allowed, member not excluded).
// Manifests and other whole copies go only to these, first ones first; readers look along the
// same rank order. The region and member caps do not apply: they bound shards of a stripe, and
// one whole copy of a manifest reveals no data without the shards.
func (pl *Plan) CopyOrder(key [32]byte) []Node {
	var out []Node
	for _, n := range pl.Ranked(key) {
		if n.Active && pl.policy.Allowed(n) {
			out = append(out, n)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
