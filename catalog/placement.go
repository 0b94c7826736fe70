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
		return nil, noCatalog("catalog.PlacementPlan", catalog)
	}
	p := clonePlacement(c.Placement)
	nodes := s.placementNodesLocked()
	s.mu.RUnlock()
	return placement.NewPlan(nodes, p)
}

// codingPaired refuses a placement that gives only one of k and m: k>0 with m=0 would be a
// catalog with no parity at all (one lost shard loses data), and m>0 with k=0 has no data
// shards. Older versions accepted k>0, m=0, so committed logs may hold it: callers enforce
// this only when proposing (exec.proposing), never when applying.
func codingPaired(op string, p Placement) error {
	switch {
	case p.K > 0 && p.M == 0:
		return invalid(op, "placement gives k=%d without m: pass m too (parity shards, e.g. k=%d, m=2), or neither for the federation's default", p.K, p.K)
	case p.K == 0 && p.M > 0:
		return invalid(op, "placement gives m=%d without k: pass k too (data shards, e.g. k=3, m=%d), or neither for the federation's default", p.M, p.M)
	}
	return nil
}

// createPlacementLocked returns the placement a new catalog gets for the one asked: k and m
// from the federation's default when both are 0, every other field as asked.
//
// Versions before this rule replaced the whole placement with the default whenever k was 0,
// so a committed CreateCatalog with k=0 was accepted whatever its other fields held (say an
// unknown excluded member, or jurisdiction mode with a default that cannot support it). Apply
// must not start refusing those: when the kept fields do not validate (or only m was given)
// and the command is being applied rather than proposed, it gets what older versions gave
// it, the whole default. A proposer running Check refuses such commands, so only history
// (or a proposer that skipped Check) reaches that branch.
func (s *State) createPlacementLocked(op string, asked Placement, proposing bool) (Placement, error) {
	if proposing {
		if err := codingPaired(op, asked); err != nil {
			return Placement{}, err
		}
	}
	p := clonePlacement(asked)
	fromDefault := p.K == 0 && p.M == 0
	if fromDefault {
		p.K, p.M = s.fed.DefaultPlacement.K, s.fed.DefaultPlacement.M
	}
	err := s.validPlacementLocked(op, &p)
	switch {
	case err == nil:
		return p, nil
	case !proposing && asked.K == 0:
		return clonePlacement(s.fed.DefaultPlacement), nil
	case fromDefault:
		return Placement{}, errs.Errorf(op, errs.KindOf(err), "%s (k=%d, m=%d are the federation's default: pass k and m to choose others)",
			strings.TrimPrefix(err.Error(), op+": "), p.K, p.M)
	}
	return Placement{}, err
}

// noCatalog is the error for a catalog name that does not exist.
func noCatalog(op, name string) error {
	return errs.Errorf(op, errs.NotExist, "no catalog %q: list catalogs with `meridian ls`, or create it with `meridian catalog create %s`", name, name)
}
