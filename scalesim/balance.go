package scalesim

import (
	"github.com/meridian-fed/meridian/placement"
)

// Variant is one placement policy simulated.
type Variant struct {
	Name   string
	Policy placement.Policy
}

// DefaultVariants are the policies of the report: the default 3+2 code, a wide 10+4 code, both
// in jurisdiction mode (no region may hold k shards of a stripe), and 10+4 allowed in four
// regions only (fewer members eligible, so the member cap rises above 1).
func DefaultVariants() []Variant {
	return []Variant{
		{"3+2", placement.Policy{K: 3, M: 2}},
		{"10+4", placement.Policy{K: 10, M: 4}},
		{"3+2 jurisdiction", placement.Policy{K: 3, M: 2, Jurisdiction: true}},
		{"10+4 jurisdiction", placement.Policy{K: 10, M: 4, Jurisdiction: true}},
		{"10+4 in 4 regions", placement.Policy{K: 10, M: 4, AllowedRegions: []string{regionName(0), regionName(1), regionName(2), regionName(3)}}},
	}
}

// Layout is the placement of every stripe under one membership: Holders[s][i] holds shard i
// of stripe s.
type Layout struct {
	Holders [][]string
}

// PlaceAll places every key with the real placement package.
func PlaceAll(nodes []placement.Node, p placement.Policy, keys [][32]byte) (Layout, error) {
	pl, err := placement.NewPlan(nodes, p)
	if err != nil {
		return Layout{}, err
	}
	out := Layout{Holders: make([][]string, len(keys))}
	for s, k := range keys {
		if out.Holders[s], err = pl.Place(k); err != nil {
			return Layout{}, err
		}
	}
	return out, nil
}

// Spread is how evenly a load falls on a set of bins: the mean, the largest and smallest bin
// and the ratios to the mean (1.0 is perfect balance).
type Spread struct {
	Bins          int     `json:"bins"`
	Mean          float64 `json:"mean"`
	Max           float64 `json:"max"`
	Min           float64 `json:"min"`
	MaxMean       float64 `json:"max_over_mean"`
	MinMean       float64 `json:"min_over_mean"`
	ZeroBinsCount int     `json:"zero_bins"`
}

// SpreadOf summarises loads, one per bin (bins with no load included as zeros).
func SpreadOf(loads []float64) Spread {
	s := Spread{Bins: len(loads)}
	if len(loads) == 0 {
		return s
	}
	s.Min = loads[0]
	for _, l := range loads {
		s.Mean += l
		s.Max = max(s.Max, l)
		s.Min = min(s.Min, l)
		if l == 0 {
			s.ZeroBinsCount++
		}
	}
	s.Mean /= float64(len(loads))
	if s.Mean > 0 {
		s.MaxMean, s.MinMean = s.Max/s.Mean, s.Min/s.Mean
	}
	return s
}

// Balance is the load of one layout per node, per member and per region, in shards.
type Balance struct {
	Variant   string `json:"variant"`
	Stripes   int    `json:"stripes"`
	PerNode   Spread `json:"per_node"` // over the nodes the policy allows
	PerMember Spread `json:"per_member"`
	PerRegion Spread `json:"per_region"`
	// MaxPerMemberStripe and MaxPerRegionStripe are the most shards of one stripe any member or
	// region holds: the member cap and (in jurisdiction mode) the region cap at work.
	MaxPerMemberStripe int `json:"max_per_member_stripe"`
	MaxPerRegionStripe int `json:"max_per_region_stripe"`
}

// BalanceOf measures l over the nodes p allows to hold shards (the others hold none by
// design and would only dilute the mean).
func BalanceOf(name string, all []placement.Node, p placement.Policy, l Layout) Balance {
	b := Balance{Variant: name, Stripes: len(l.Holders)}
	var nodes []placement.Node
	for _, n := range all {
		if p.Allowed(n) {
			nodes = append(nodes, n)
		}
	}
	idx := indexOf(nodes)
	node := make([]float64, len(nodes))
	member, region := map[string]float64{}, map[string]float64{}
	for _, n := range nodes {
		member[n.Member], region[n.Region] = 0, 0
	}
	for _, hs := range l.Holders {
		pm, pr := map[string]int{}, map[string]int{}
		for _, h := range hs {
			n := nodes[idx[h]]
			node[idx[h]]++
			member[n.Member]++
			region[n.Region]++
			pm[n.Member]++
			pr[n.Region]++
			b.MaxPerMemberStripe = max(b.MaxPerMemberStripe, pm[n.Member])
			b.MaxPerRegionStripe = max(b.MaxPerRegionStripe, pr[n.Region])
		}
	}
	b.PerNode, b.PerMember, b.PerRegion = SpreadOf(node), SpreadOf(values(member)), SpreadOf(values(region))
	return b
}

func indexOf(nodes []placement.Node) map[string]int {
	m := make(map[string]int, len(nodes))
	for i, n := range nodes {
		m[n.ID] = i
	}
	return m
}

func values(m map[string]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
