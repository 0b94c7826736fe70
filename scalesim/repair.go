package scalesim

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// RepairLoad is what losing every node of one member costs: the stripes that lose shards, the
// shards rebuilt, the bytes that cross the network and how evenly rebuilders and sources share
// them. Each lost shard is rebuilt at its new holder (chosen by placement.Repair), which reads
// k surviving shards of the stripe: k × shard size inbound per rebuilt shard.
type RepairLoad struct {
	Variant        string  `json:"variant"`
	Member         string  `json:"member"`
	K              int     `json:"k"`
	NodesLost      int     `json:"nodes_lost"`
	StripesHit     int     `json:"stripes_hit"`     // stripes that lost at least one shard
	StripesLost    int     `json:"stripes_lost"`    // stripes left with fewer than k shards
	ShardsLost     int     `json:"shards_lost"`     // shards that sat on the lost nodes
	ShardsRebuilt  int     `json:"shards_rebuilt"`  // positions repair gives a new holder
	ExtraMoves     int     `json:"extra_moves"`     // positions repair changed that had not been lost
	ShardBytes     int64   `json:"shard_bytes"`     // ⌈stripe / k⌉
	TrafficBytes   int64   `json:"traffic_bytes"`   // rebuilt × k × shard bytes
	OneNodeBytes   int64   `json:"one_node_bytes"`  // if each stripe were rebuilt at one node: (k + lost − 1) × shard bytes
	Rebuilders     int     `json:"rebuilders"`      // nodes that rebuild at least one shard
	Inbound        Spread  `json:"inbound"`         // bytes received per surviving node the policy allows
	Outbound       Spread  `json:"outbound"`        // bytes sent per surviving node the policy allows
	StripeFraction float64 `json:"stripe_fraction"` // StripesHit / stripes
}

// MemberLoss removes every node of member from nodes and repairs base, in which stripe s has
// key keys[s] and stripes of stripeBytes bytes.
func MemberLoss(nodes []placement.Node, v Variant, keys [][32]byte, base Layout, member string, stripeBytes int64) (RepairLoad, error) {
	const op = "scalesim.MemberLoss"
	k := v.Policy.K
	r := RepairLoad{Variant: v.Name, Member: member, K: k, ShardBytes: (stripeBytes + int64(k) - 1) / int64(k)}
	lost := map[string]bool{}
	var rest []placement.Node
	for _, n := range nodes {
		if n.Member == member {
			lost[n.ID] = true
		} else {
			rest = append(rest, n)
		}
	}
	if r.NodesLost = len(lost); r.NodesLost == 0 {
		return r, errs.Errorf(op, errs.Invalid, "member %q has no nodes", member)
	}
	pl, err := placement.NewPlan(rest, v.Policy)
	if err != nil {
		return r, err
	}
	idx := indexOf(rest)
	in, out := make([]float64, len(rest)), make([]float64, len(rest))
	for s, hs := range base.Holders {
		if err := r.stripe(pl, keys[s], hs, lost, idx, in, out); err != nil {
			return r, err
		}
	}
	r.finish(len(base.Holders), allowedOnly(rest, v.Policy, in), allowedOnly(rest, v.Policy, out))
	return r, nil
}

// stripe repairs one stripe and books its traffic.
func (r *RepairLoad) stripe(pl *placement.Plan, key [32]byte, hs []string, lost map[string]bool, idx map[string]int, in, out []float64) error {
	k := pl.Policy().K
	var survivors []string
	for _, h := range hs {
		if !lost[h] {
			survivors = append(survivors, h)
		}
	}
	gone := len(hs) - len(survivors)
	if gone == 0 {
		return nil
	}
	r.StripesHit++
	r.ShardsLost += gone
	if len(survivors) < k {
		r.StripesLost++
		return nil
	}
	fixed, err := pl.Repair(key, hs)
	if err != nil {
		return err
	}
	sources := survivors[:k]
	for i := range hs {
		if fixed[i] == hs[i] {
			continue
		}
		if !lost[hs[i]] {
			r.ExtraMoves++
		}
		r.ShardsRebuilt++
		in[idx[fixed[i]]] += float64(int64(k) * r.ShardBytes)
		for _, src := range sources {
			out[idx[src]] += float64(r.ShardBytes)
		}
	}
	r.OneNodeBytes += int64(k+gone-1) * r.ShardBytes
	return nil
}

func (r *RepairLoad) finish(stripes int, in, out []float64) {
	for _, b := range in {
		r.TrafficBytes += int64(b)
		if b > 0 {
			r.Rebuilders++
		}
	}
	r.Inbound, r.Outbound = SpreadOf(in), SpreadOf(out)
	r.StripeFraction = float64(r.StripesHit) / float64(max(stripes, 1))
}

// allowedOnly keeps the loads of the nodes p allows to hold shards.
func allowedOnly(nodes []placement.Node, p placement.Policy, loads []float64) []float64 {
	var out []float64
	for i, n := range nodes {
		if p.Allowed(n) {
			out = append(out, loads[i])
		}
	}
	return out
}

// membersOf lists the member names of nodes in order of first appearance.
func membersOf(nodes []placement.Node) []string {
	var out []string
	for _, n := range nodes {
		if !slices.Contains(out, n.Member) {
			out = append(out, n.Member)
		}
	}
	return out
}
