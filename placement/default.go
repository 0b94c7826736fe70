package placement

import "github.com/meridian-fed/meridian/errs"

// MaxDefaultShards bounds the k+m that DefaultPolicy picks: more shards per stripe means smaller
// shards and more requests per read for little saving in overhead.
const MaxDefaultShards = 12

// DefaultPolicy chooses k+m for a federation of the given size. The rule: every stripe survives
// the loss of any one whole member (site), and separately the loss of any m ≥ 2 nodes. With
// shards spread at most c = ⌈(k+m)/members⌉ per member, that needs m ≥ max(c, 2). Among the
// k+m ≤ min(nodes, MaxDefaultShards) with k ≥ 2 it takes the lowest overhead m/k, then the fewest
// shards: 5 nodes in 3 members → 3+2, 10 nodes in 5 members → 8+2, 4 nodes in 2 members → 2+2.
//
// Limits: it assumes nodes are spread about evenly over members (a member with most of the
// nodes gets more than c shards, see Plan); with one member a site loss is not survivable, so
// only the m=2 node rule applies; it does not consider regions (jurisdiction mode needs its own
// k, m). It fails (errs.Invalid) below 4 nodes, the fewest for k ≥ 2 and m ≥ 2.
func DefaultPolicy(members, nodes int) (Policy, error) {
	const op = "placement.DefaultPolicy"
	if members < 1 || nodes < members {
		return Policy{}, errs.Errorf(op, errs.Invalid, "%d nodes in %d members: need at least one member and one node per member", nodes, members)
	}
	best := Policy{}
	for n := 4; n <= min(nodes, MaxDefaultShards); n++ {
		m := 2
		if members > 1 {
			m = max(m, (n+members-1)/members)
		}
		k := n - m
		if k < 2 {
			continue
		}
		// m/k < best.M/best.K, compared without division.
		if best.K == 0 || m*best.K < best.M*k {
			best = Policy{K: k, M: m}
		}
	}
	if best.K == 0 {
		return Policy{}, errs.Errorf(op, errs.Invalid,
			"%d nodes cannot hold k ≥ 2 data and m ≥ 2 parity shards on distinct nodes: add nodes (at least 4) or set k and m by hand", nodes)
	}
	return best, nil
}
