// Package placement decides, from the catalog's membership alone, which nodes hold the shards of
// a stripe: eligible nodes ranked by a rendezvous hash of their Kademlia XOR distance to the
// stripe's key, spread over members and regions so that failure domains stay apart. It is pure
// and imports only errs from the project.
package placement

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
)

// MaxShards bounds k+m: the Reed-Solomon codec in use supports at most 256 shards.
const MaxShards = 256

// Node is one storage node as placement sees it.
type Node struct {
	ID        string // libp2p peer ID in its string form (base58 "12D3Koo…"/"Qm…" or CID)
	Member    string // the member (organisation, site) that runs it: a failure domain
	Region    string // ISO 3166-1 alpha-2 country code: a jurisdiction
	Active    bool   // takes new shards and answers reads (not draining, not gone)
	FreeBytes int64  // shard storage still free; 0 or less: takes no new shards
}

// Policy is a catalog's placement policy. The JSON names match the catalog's.
type Policy struct {
	K               int      `json:"k"`                          // data shards: any K of the K+M reconstruct a stripe
	M               int      `json:"m"`                          // parity shards: any M may be lost
	AllowedRegions  []string `json:"allowed_regions,omitempty"`  // empty: every region
	ExcludedMembers []string `json:"excluded_members,omitempty"` // members that never hold shards
	// Jurisdiction: no region may hold K or more shards of a stripe (none can reconstruct it
	// alone) and losing any one region still leaves K, so each region holds ≤ min(K-1, M).
	Jurisdiction bool `json:"jurisdiction,omitempty"`
}

// Shards returns K+M, the number of shards of a stripe.
func (p Policy) Shards() int { return p.K + p.M }

// Validate reports whether p is well formed, independent of any membership.
func (p Policy) Validate() error {
	const op = "placement.Policy.Validate"
	switch {
	case p.K < 1:
		return errs.Errorf(op, errs.Invalid, "k=%d: need at least one data shard (k ≥ 1)", p.K)
	case p.M < 0:
		return errs.Errorf(op, errs.Invalid, "m=%d: parity shards cannot be negative", p.M)
	case p.K+p.M > MaxShards:
		return errs.Errorf(op, errs.Invalid, "k+m=%d: at most %d shards per stripe", p.K+p.M, MaxShards)
	case p.Jurisdiction && (p.K < 2 || p.M < 1):
		return errs.Errorf(op, errs.Invalid,
			"jurisdiction mode needs k ≥ 2 and m ≥ 1 (got %d+%d): a region may hold at most min(k-1, m) shards", p.K, p.M)
	}
	if err := checkNames("allowed region", p.AllowedRegions); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if err := checkNames("excluded member", p.ExcludedMembers); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	return nil
}

func checkNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" {
			return errs.Errorf("", errs.Invalid, "empty %s name", what)
		}
		if seen[n] {
			return errs.Errorf("", errs.Invalid, "%s %q listed twice", what, n)
		}
		seen[n] = true
	}
	return nil
}

// Allowed reports whether the policy lets n hold shards at all (region allowed, member not
// excluded), regardless of its state and free space. In jurisdiction mode a node without a
// region is not allowed: nothing would show which jurisdiction its shards are in.
func (p Policy) Allowed(n Node) bool {
	if slices.Contains(p.ExcludedMembers, n.Member) || (p.Jurisdiction && n.Region == "") {
		return false
	}
	return len(p.AllowedRegions) == 0 || slices.Contains(p.AllowedRegions, n.Region)
}

// Eligible reports whether n may receive new shards under p: allowed, active and with space.
func (p Policy) Eligible(n Node) bool {
	return n.Active && n.FreeBytes > 0 && p.Allowed(n)
}

// RegionCap returns the most shards of one stripe a region may hold: min(K-1, M) in
// jurisdiction mode, else K+M (no limit).
func (p Policy) RegionCap() int {
	if !p.Jurisdiction {
		return p.Shards()
	}
	return min(p.K-1, p.M)
}
