package placement

import (
	"fmt"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Accept reports whether a stripe stored on layout (element i: holder of shard i, "" where no
// node could take it) may be acknowledged: at least k shards are stored, and in jurisdiction
// mode losing any one region still leaves k (the promise jurisdiction mode makes, which a stripe
// missing shards can break although no region is over its cap). Shards missing for other
// reasons are the failures the design tolerates: repair restores them when nodes return. It
// does not re-check where the shards are; Detour and Repair only choose holders that keep the
// caps. The error (errs.Unavailable) names the rule and what is missing.
func (pl *Plan) Accept(layout []string) error {
	const op = "placement.Accept"
	p := pl.policy
	stored := 0
	perRegion := map[string]int{}
	for _, id := range layout {
		if id == "" {
			continue
		}
		stored++
		if i, ok := pl.byID[id]; ok {
			perRegion[pl.entries[i].node.Region]++
		}
	}
	if stored < p.K {
		return errs.Errorf(op, errs.Unavailable,
			"only %d of %d shards could be stored within the catalog's constraints, %d are needed to read the data back", stored, len(layout), p.K)
	}
	if !p.Jurisdiction {
		return nil
	}
	for _, r := range sortedKeys(perRegion) {
		if left := stored - perRegion[r]; left < p.K {
			return errs.Errorf(op, errs.Unavailable,
				"jurisdiction: %d of %d shards could be stored (%s); losing region %s would leave %d, fewer than k=%d, and no other node may take the missing shards within the caps",
				stored, len(layout), regionCounts(perRegion), r, left, p.K)
		}
	}
	return nil
}

func regionCounts(m map[string]int) string {
	var parts []string
	for _, r := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s:%d", r, m[r]))
	}
	return strings.Join(parts, " ")
}
