package node

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/repair"
)

// Reasons a remote DELETE is refused: the values of meridian_delete_refused_total's label.
const (
	refuseCaller       = "caller"       // not a registered active node
	refuseUnreferenced = "unreferenced" // no committed object references the block: local GC's job
	refuseUnknown      = "unknown"      // references cannot be established (index incomplete, manifest unreachable, placement fails)
	refuseDesignated   = "designated"   // this node is where placement puts the block
	refuseLastCopy     = "last_copy"    // no other node that may vouch for it holds the block
)

// hasRound is how many nodes one round of the last-copy check asks at once.
const hasRound = 8

// deleteState is what the delete policy reads from the committed state (*catalog.State).
type deleteState interface {
	objectSource
	Node(peerID string) (catalog.Node, error)
	Catalog(name string) (catalog.Catalog, error)
}

// deletePolicy decides, on the node that holds a block, whether a peer may delete it over the
// shard protocol. It judges from this node's own catalog view (see docs/node.md, "Who may
// delete a block"): the caller must be an active node, the block must be referenced, this node
// must not be where placement puts it, and another node that placement lets vouch for it must
// answer HAS for it, so a remote delete never removes the last copy.
type deletePolicy struct {
	self    string
	state   deleteState
	nodes   func() []placement.Node // active and draining nodes, as repair plans with them
	has     func(ctx context.Context, node string, cids []cid.Cid) ([]bool, error)
	index   *refIndex
	refused *prometheus.CounterVec // by reason
	log     *slog.Logger
}

func newRefusedCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_delete_refused_total",
		Help: "Remote shard deletes this node refused, by reason (caller, unreferenced, unknown, designated, last_copy)."}, []string{"reason"})
	reg.MustRegister(c)
	return c
}

// newDeletePolicy builds the policy of node n.
func newDeletePolicy(n *Node) *deletePolicy {
	return &deletePolicy{
		self:  n.PeerID().String(),
		state: n.state,
		nodes: n.placementNodesAll,
		has: func(ctx context.Context, node string, cids []cid.Cid) ([]bool, error) {
			return repairIO{n}.Has(ctx, node, cids)
		},
		index:   newRefIndex(n.state, n.manifest, n.now),
		refused: newRefusedCounter(n.reg),
		log:     n.log.With("part", "delete-policy"),
	}
}

// allow implements shardproto.DeletePolicy.
func (p *deletePolicy) allow(ctx context.Context, from peer.ID, c cid.Cid) bool {
	reason := p.decide(ctx, from.String(), c)
	if reason == "" {
		return true
	}
	p.refused.WithLabelValues(reason).Inc()
	p.log.Info("remote delete refused", "peer", from, "block", c, "reason", reason)
	return false
}

// decide returns "" to allow the delete, else the reason for refusing it.
func (p *deletePolicy) decide(ctx context.Context, from string, c cid.Cid) string {
	if nd, err := p.state.Node(from); err != nil || nd.State != catalog.NodeActive {
		return refuseCaller
	}
	refs, known, err := p.index.lookup(ctx, c)
	switch {
	case err != nil:
		return refuseUnknown
	case len(refs) == 0 && known:
		return refuseUnreferenced
	case len(refs) == 0:
		return refuseUnknown
	}
	me, err := p.state.Node(p.self)
	if err != nil {
		return refuseUnknown // a replica still replaying: it cannot tell what it must keep
	}
	draining := me.State != catalog.NodeActive // draining or gone: hands everything over
	designated, ok := p.designated(refs)
	if !ok && !draining {
		return refuseUnknown // cannot tell whether this node is a designated holder
	}
	if slices.Contains(designated, p.self) && !draining {
		return refuseDesignated
	}
	if !p.heldElsewhere(ctx, c, p.vouchers(designated, draining)) {
		return refuseLastCopy
	}
	return ""
}

// designated returns the nodes placement puts the block on, for every reference: shard i of a
// stripe goes to Place(key)[i] as the repair planner computes it (Planner.Rebalance's ideal
// holder), a manifest to the first m+1 active nodes the catalog allows in its rank order
// (placement.Plan.CopyOrder, as repair.PlanReplicas uses it, with no holders yet). ok is false when some reference cannot be placed.
func (p *deletePolicy) designated(refs []blockRef) (out []string, ok bool) {
	nodes := p.nodes()
	plans := map[string]*placement.Plan{}
	ok = true
	for _, r := range refs {
		plan, err := p.plan(plans, nodes, r.Catalog)
		if err != nil {
			ok = false
			continue
		}
		if r.Stripe < 0 {
			to, _ := repair.PlanReplicas(plan.CopyOrder(repair.ManifestKey(r.Manifest)), nil, plan.Policy().M+1, func(string) bool { return true })
			out = append(out, to...)
			continue
		}
		holders, err := plan.Place(r.Key)
		if err != nil || r.K != plan.Policy().K || r.M != plan.Policy().M || r.Shard >= len(holders) {
			ok = false // repair skips such objects too
			continue
		}
		out = append(out, holders[r.Shard])
	}
	return out, ok
}

// plan returns the placement plan of a catalog, built once per decision.
func (p *deletePolicy) plan(plans map[string]*placement.Plan, nodes []placement.Node, name string) (*placement.Plan, error) {
	if pl, ok := plans[name]; ok {
		return pl, nil
	}
	cat, err := p.state.Catalog(name)
	if err != nil {
		return nil, err
	}
	pl, err := placement.NewPlan(nodes, toPlacementPolicy(cat.Placement))
	if err != nil {
		return nil, err
	}
	plans[name] = pl
	return pl, nil
}

// vouchers returns the nodes whose HAS may vouch for another copy, in the order to ask them. An
// active node accepts only a designated holder, which refuses remote deletes of the block
// itself, so two surplus copies can never vouch for each other and both go. A draining node
// also accepts any other active node (asked after the designated ones): repair moves a draining
// copy to the holder placement.Repair picks, which keeps the other shards in place and need not
// be Place's holder of that index; active nodes in turn delete only against designated holders,
// so a copy always survives.
func (p *deletePolicy) vouchers(designated []string, draining bool) []string {
	var out []string
	for _, id := range designated {
		if id != p.self && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if !draining {
		return out
	}
	for _, n := range p.nodes() {
		if n.Active && n.ID != p.self && !slices.Contains(out, n.ID) {
			out = append(out, n.ID)
		}
	}
	return out
}

// heldElsewhere asks nodes, hasRound at a time, whether they hold c; true at the first yes.
// A node that does not answer counts as not holding it.
func (p *deletePolicy) heldElsewhere(ctx context.Context, c cid.Cid, nodes []string) bool {
	for len(nodes) > 0 && ctx.Err() == nil {
		round := nodes[:min(hasRound, len(nodes))]
		nodes = nodes[len(round):]
		found := make([]bool, len(round))
		var wg sync.WaitGroup
		for i, id := range round {
			wg.Go(func() {
				bits, err := p.has(ctx, id, []cid.Cid{c})
				found[i] = err == nil && len(bits) == 1 && bits[0]
			})
		}
		wg.Wait()
		if slices.Contains(found, true) {
			return true
		}
	}
	return false
}
