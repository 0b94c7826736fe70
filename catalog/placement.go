package catalog

import (
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// PlacementNodes returns the membership as placement sees it, sorted by peer ID: every node
// that is not gone, with its member's region. FreeBytes is the capacity the node registered;
// the node layer may lower it with measured free space before building a plan.
func (s *State) PlacementNodes() []placement.Node {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.placementNodesLocked()
}

func (s *State) placementNodesLocked() []placement.Node {
	var out []placement.Node
	for _, n := range s.nodes {
		m := s.members[n.Member]
		if n.State == NodeGone || m == nil || m.Retired {
			continue
		}
		out = append(out, placement.Node{ID: n.PeerID, Member: n.Member, Region: m.Region,
			Active: n.State == NodeActive, FreeBytes: n.Capacity})
	}
	slices.SortFunc(out, func(a, b placement.Node) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// PlacementPlan prepares placement of a catalog's stripes under the current membership.
func (s *State) PlacementPlan(catalog string) (*placement.Plan, error) {
	s.mu.RLock()
	c := s.catalogs[catalog]
	if c == nil {
		s.mu.RUnlock()
		return nil, errs.Errorf("catalog.PlacementPlan", errs.NotExist, "no catalog %q", catalog)
	}
	p := clonePlacement(c.Placement)
	nodes := s.placementNodesLocked()
	s.mu.RUnlock()
	return placement.NewPlan(nodes, p)
}
