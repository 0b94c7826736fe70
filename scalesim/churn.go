package scalesim

import (
	"slices"

	"github.com/meridian-fed/meridian/placement"
)

// Churn is the number of shards whose holder changes when placements are recomputed after
// a membership change, averaged over trials, beside the ideal: the share of the changed
// node, stripes × (k+m) / n, n the nodes the policy allows, counted with the node (0 for a
// node the policy does not allow).
type Churn struct {
	Variant string  `json:"variant"`
	Trials  int     `json:"trials"`
	Moved   float64 `json:"moved"`   // shards whose holder changed, mean per trial
	Ideal   float64 `json:"ideal"`   // stripes × (k+m) / n, mean per trial
	Ratio   float64 `json:"ratio"`   // Moved / Ideal
	Percent float64 `json:"percent"` // Moved as a percentage of all shards
	// Repaired, for a leave only: shards Repair moves (it keeps the well-placed ones), mean
	// per trial. Placing anew also reshuffles shard indexes between surviving holders.
	Repaired      float64 `json:"repaired,omitempty"`
	RepairedRatio float64 `json:"repaired_ratio,omitempty"` // Repaired / Ideal
}

// Moved counts the positions whose holder differs between two layouts of the same stripes.
func Moved(a, b Layout) int {
	n := 0
	for s := range a.Holders {
		for i := range a.Holders[s] {
			if a.Holders[s][i] != b.Holders[s][i] {
				n++
			}
		}
	}
	return n
}

// JoinChurn adds one new node at a time (to member t mod members, in its region) to nodes and
// counts the shards that move against base, the layout under nodes.
func JoinChurn(f *Fed, v Variant, keys [][32]byte, base Layout, trials int) (Churn, error) {
	c := Churn{Variant: v.Name, Trials: trials}
	for t := range trials {
		old := f.Nodes[t%len(f.Nodes)]
		n, _, err := f.NewNode(old.Member, old.Region)
		if err != nil {
			return c, err
		}
		after, err := PlaceAll(append(slices.Clone(f.Nodes), n), v.Policy, keys)
		if err != nil {
			return c, err
		}
		c.Moved += float64(Moved(base, after))
		c.Ideal += share(len(keys), v.Policy, f.Nodes, n, 1)
	}
	c.finish(len(keys), v.Policy.Shards())
	return c, nil
}

// LeaveChurn removes one node at a time (spread over the membership) and counts the shards
// that move against base, both placing anew and repairing.
func LeaveChurn(f *Fed, v Variant, keys [][32]byte, base Layout, trials int) (Churn, error) {
	c := Churn{Variant: v.Name, Trials: trials}
	for t := range trials {
		gone := (t * 7919) % len(f.Nodes)
		rest := slices.Delete(slices.Clone(f.Nodes), gone, gone+1)
		after, err := PlaceAll(rest, v.Policy, keys)
		if err != nil {
			return c, err
		}
		c.Moved += float64(Moved(base, after))
		c.Ideal += share(len(keys), v.Policy, f.Nodes, f.Nodes[gone], 0)
		repaired, err := repairAll(rest, v.Policy, keys, base)
		if err != nil {
			return c, err
		}
		c.Repaired += float64(Moved(base, repaired))
	}
	c.finish(len(keys), v.Policy.Shards())
	c.Repaired /= float64(max(trials, 1))
	if c.Ideal > 0 {
		c.RepairedRatio = c.Repaired / c.Ideal
	}
	return c, nil
}

// share is the ideal load of node changed among nodes (plus extra more nodes): its share of
// the shards if the policy allows it, else none.
func share(stripes int, p placement.Policy, nodes []placement.Node, changed placement.Node, extra int) float64 {
	if !p.Allowed(changed) {
		return 0
	}
	n := extra
	for _, x := range nodes {
		if p.Allowed(x) {
			n++
		}
	}
	return float64(stripes*p.Shards()) / float64(n)
}

func (c *Churn) finish(stripes, shards int) {
	c.Moved /= float64(max(c.Trials, 1))
	c.Ideal /= float64(max(c.Trials, 1))
	if c.Ideal > 0 {
		c.Ratio = c.Moved / c.Ideal
	}
	c.Percent = 100 * c.Moved / float64(max(stripes*shards, 1))
}

// repairAll repairs every stripe of base under the membership nodes.
func repairAll(nodes []placement.Node, p placement.Policy, keys [][32]byte, base Layout) (Layout, error) {
	pl, err := placement.NewPlan(nodes, p)
	if err != nil {
		return Layout{}, err
	}
	out := Layout{Holders: make([][]string, len(keys))}
	for s, k := range keys {
		if out.Holders[s], err = pl.Repair(k, base.Holders[s]); err != nil {
			return Layout{}, err
		}
	}
	return out, nil
}
