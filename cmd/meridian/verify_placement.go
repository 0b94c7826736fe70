package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

const placementCheckName = "placement constraints (node)"

// placementCheck passes when the node reports that every stripe keeps the catalog's placement
// constraints. A placement breach is not an availability problem: it fails like a corrupt
// record (exit 6), since the data is somewhere the catalog promised it would not be.
func placementCheck(a *api.PlacementAudit) check {
	ch := check{Name: placementCheckName, kind: errs.Corrupt}
	if a == nil {
		ch.Detail = "the node reported no placement (see the notes): it may run an older version; ask another node with --node"
		return ch
	}
	bad := 0
	for _, s := range a.Stripes {
		if len(s.Breaches) > 0 {
			bad++
		}
	}
	ch.OK = a.OK && bad == 0
	ch.Detail = fmt.Sprintf("%d of %d stripes break a constraint (%s)", bad, len(a.Stripes), describePolicy(a))
	if ch.OK {
		ch.Detail = fmt.Sprintf("every stripe keeps the constraints (%s)", describePolicy(a))
	}
	return ch
}

// describePolicy says which constraints were checked.
func describePolicy(a *api.PlacementAudit) string {
	parts := []string{fmt.Sprintf("k=%d m=%d", a.Policy.K, a.Policy.M), fmt.Sprintf("at most %d per member", a.MemberCap)}
	if a.Policy.Jurisdiction {
		parts = append(parts, fmt.Sprintf("jurisdiction: at most %d per region", a.RegionCap))
	}
	if len(a.Policy.AllowedRegions) > 0 {
		parts = append(parts, "regions "+strings.Join(a.Policy.AllowedRegions, ","))
	}
	if len(a.Policy.ExcludedMembers) > 0 {
		parts = append(parts, "excluded "+strings.Join(a.Policy.ExcludedMembers, ","))
	}
	return strings.Join(parts, ", ")
}

// printPlacement lists each stripe's shards (node, member, region) and its breaches.
func printPlacement(w io.Writer, a *api.PlacementAudit) {
	for _, s := range a.Stripes {
		verdict := "ok"
		if len(s.Breaches) > 0 {
			verdict = "BREACH"
		}
		fmt.Fprintf(w, "        stripe %d: %s\n", s.Index, verdict)
		for _, h := range s.Shards {
			if h.Node == "" {
				fmt.Fprintf(w, "          shard %d  (no node answered for it)\n", h.Shard)
				continue
			}
			fmt.Fprintf(w, "          shard %d  %s  member %s  region %s\n", h.Shard, h.Node, h.Member, orDash(h.Region))
		}
		for _, b := range s.Breaches {
			fmt.Fprintf(w, "          breach: %s\n", b)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
