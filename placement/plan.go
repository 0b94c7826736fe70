package placement

import (
	"cmp"
	"crypto/sha256"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/meridian-fed/meridian/errs"
)

// Plan is a membership prepared for one policy: peer IDs decoded and hashed once, the eligible
// nodes and the per-member and per-region caps computed once. Build one per (membership,
// policy) and call Place for every stripe. A Plan is immutable and safe for concurrent use.
type Plan struct {
	policy   Policy
	entries  []entry // every node, sorted by ID
	byID     map[string]int
	eligible []int // indices into entries of nodes that may take new shards
	caps     caps
	err      error // why no placement is possible under this membership, or nil
	short    bool  // fewer eligible nodes than shards: Place fails, Repair may still work
	fixed    bool  // caps inherited from the full membership (Without): never relaxed
}

type entry struct {
	node   Node
	point  [32]byte // sha256(peer ID bytes): the node's position in the key space
	member int      // index into the plan's member names
	region int      // index into the plan's region names
}

// caps are the limits of shards of one stripe per failure domain.
type caps struct {
	member  int // per member: ⌈(k+m)/members⌉, raised only when the members are too uneven
	region  int // per region (jurisdiction mode), else k+m
	members int // number of member names (index space)
	regions int // number of region names
}

// NewPlan prepares nodes for placing stripes under p. It fails (errs.Invalid) when p is
// malformed, a node ID is not a peer ID, or two nodes share a peer ID. A membership that cannot
// satisfy p is not an error here: Place and Repair report it, Check and Ranked still work.
func NewPlan(nodes []Node, p Policy) (*Plan, error) {
	const op = "placement.NewPlan"
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pl := &Plan{policy: p, byID: make(map[string]int, len(nodes))}
	if err := pl.addNodes(nodes); err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	pl.prepare()
	return pl, nil
}

// prepare finds the eligible nodes and the caps.
func (pl *Plan) prepare() {
	pl.eligible = nil
	for i, e := range pl.entries {
		if pl.policy.Eligible(e.node) {
			pl.eligible = append(pl.eligible, i)
		}
	}
	pl.caps, pl.err = pl.computeCaps()
}

// Without returns a plan for the same membership in which the given nodes are inactive: for a
// holder that does not answer though the catalog still lists it (a publish retrying a shard
// elsewhere, repair avoiding an unreachable node). Unknown IDs are ignored. It reuses the
// decoded peer IDs, so it is much cheaper than NewPlan.
//
// The caps stay those of pl: a node that does not answer is a failure, not a change of the
// membership, so it never lets another member or region take more shards of a stripe. When
// the nodes left cannot meet them, Place, Repair and Detour refuse instead.
func (pl *Plan) Without(ids ...string) *Plan {
	out := &Plan{policy: pl.policy, byID: pl.byID, caps: pl.caps, fixed: true}
	out.entries = slices.Clone(pl.entries)
	for _, id := range ids {
		if i, ok := pl.byID[id]; ok {
			out.entries[i].node.Active = false
		}
	}
	out.prepare()
	return out
}

func (pl *Plan) addNodes(nodes []Node) error {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	members, regions := map[string]int{}, map[string]int{}
	seen := make(map[[32]byte]string, len(sorted))
	for _, n := range sorted {
		pt, err := point(n.ID)
		if err != nil {
			return err
		}
		if other, dup := seen[pt]; dup {
			return errs.Errorf("", errs.Invalid, "nodes %q and %q have the same peer ID", other, n.ID)
		}
		seen[pt] = n.ID
		pl.byID[n.ID] = len(pl.entries)
		pl.entries = append(pl.entries, entry{node: n, point: pt,
			member: intern(members, n.Member), region: intern(regions, n.Region)})
	}
	pl.caps.members, pl.caps.regions = len(members), len(regions)
	return nil
}

func intern(m map[string]int, s string) int {
	if i, ok := m[s]; ok {
		return i
	}
	m[s] = len(m)
	return m[s]
}

// point returns sha256 over the peer ID's bytes, the node's position in the key space.
func point(id string) ([32]byte, error) {
	pid, err := peer.Decode(id)
	if err != nil {
		return [32]byte{}, errs.Errorf("", errs.Invalid, "node ID %q is not a libp2p peer ID: %v", id, err)
	}
	return sha256.Sum256([]byte(pid)), nil
}

// Policy returns the policy the plan was built for.
func (pl *Plan) Policy() Policy { return pl.policy }

// Err reports why no stripe can be placed under this membership and policy, or nil.
func (pl *Plan) Err() error { return pl.err }

// Ranked returns every node of the membership, eligible or not, in the order Place draws from
// for key (see rank). Readers and repair use later entries as fallbacks; filter by Active or
// Policy.Eligible as the use needs.
func (pl *Plan) Ranked(key [32]byte) []Node {
	idx := make([]int, len(pl.entries))
	for i := range idx {
		idx[i] = i
	}
	r := pl.rank(key, idx)
	out := make([]Node, len(r))
	for i, s := range r {
		out[i] = pl.entries[s.i].node
	}
	return out
}

// MemberCap returns the most shards of one stripe that one member may hold under this
// membership: ⌈(k+m)/members⌉, or more when members are too uneven to meet it. When it exceeds
// m, losing that member can lose data; callers may warn (see DefaultPolicy).
func (pl *Plan) MemberCap() int { return pl.caps.member }
