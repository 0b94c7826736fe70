package catalog

import (
	"math"
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// placeableLocked refuses a placement the federation can never meet as it stands: a region
// allow-list naming a country where no member is, or constraints under which the registered
// active nodes could not hold one stripe even with every node up and free space everywhere (too
// few nodes outside the excluded members and allowed regions, jurisdiction with too few regions
// for no region to hold k shards, the member cap). Nodes that are down or full only make a
// publish wait or fail; this is about the membership. It is a rule added after commands were
// committed, so it is enforced only when proposing (exec.proposing), never when applying. The
// error (errs.Invalid) says what is missing and what to change.
func (s *State) placeableLocked(op string, p Placement) error {
	regions := map[string]bool{}
	for _, m := range s.members {
		if !m.Retired {
			regions[m.Region] = true
		}
	}
	for _, r := range p.AllowedRegions {
		if !regions[r] {
			return errs.Errorf(op, errs.Invalid,
				"placement allows region %s, where the federation can never place shards: no member of the federation is in %s (members are in %s); check the country code, or add a member there first",
				r, r, strings.Join(sortedSet(regions), ", "))
		}
	}
	var nodes []placement.Node
	for _, n := range s.placementNodesLocked() {
		if n.Active {
			n.FreeBytes = math.MaxInt64 // space comes and goes; the membership is what matters here
			nodes = append(nodes, n)
		}
	}
	plan, err := placement.NewPlan(nodes, placement.Policy(p))
	if err == nil {
		err = plan.Err()
	}
	if err != nil {
		return errs.Errorf(op, errs.Invalid, "the federation's %d active nodes can never hold a stripe under this placement: %s",
			len(nodes), strings.TrimPrefix(err.Error(), "placement.Place: "))
	}
	return nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
