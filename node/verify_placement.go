package node

// What verify reports about where an object's shards are: the holders every node admits to and
// whether the catalog's placement constraints hold for every stripe (placement.Plan.Audit).

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/placement"
)

// shardHolders asks every node that may hold shards (active and draining) which of m's shards
// it has, all at once and each under a timeout, and returns the nodes that hold each shard, in
// peer ID order. A node that does not answer holds nothing as far as this answer goes.
func (n *Node) shardHolders(ctx context.Context, m *chunker.Manifest) map[cid.Cid][]string {
	var all []cid.Cid
	for _, s := range m.Stripes {
		all = append(all, s.Shards...)
	}
	holders := make(map[cid.Cid][]string, len(all))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, nd := range n.placementNodesAll() {
		id, err := peer.Decode(nd.ID)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() { // every node at once, each bounded: a dead node costs one timeout, not one each
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			have, err := n.shards.has(cctx, id, all)
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for i, h := range have {
				if h && !slices.Contains(holders[all[i]], nd.ID) {
					holders[all[i]] = append(holders[all[i]], nd.ID)
				}
			}
		}()
	}
	wg.Wait()
	for _, hs := range holders {
		slices.Sort(hs)
	}
	return holders
}

// placementAudit judges every stripe of m against the catalog's placement (with the object's
// own k and m), over the membership placement uses for new shards.
func (n *Node) placementAudit(pol placement.Policy, m *chunker.Manifest, holders map[cid.Cid][]string) (*api.PlacementAudit, error) {
	pol.K, pol.M = m.K, m.M
	plan, err := placement.NewPlan(n.placementNodesAll(), pol)
	if err != nil {
		return nil, err
	}
	out := &api.PlacementAudit{Policy: api.Placement(pol), MemberCap: plan.MemberCap(), RegionCap: plan.RegionCap(), OK: true}
	for i, s := range m.Stripes {
		sp := api.StripePlacement{Index: i}
		found := make([][]string, len(s.Shards))
		for j, c := range s.Shards {
			found[j] = holders[c]
			sp.Shards = append(sp.Shards, holderRows(plan, j, holders[c])...)
		}
		sp.Breaches = plan.Audit(found)
		out.OK = out.OK && len(sp.Breaches) == 0
		out.Stripes = append(out.Stripes, sp)
	}
	return out, nil
}

// holderRows lists one row per copy of shard j, or one empty row when none was found.
func holderRows(plan *placement.Plan, j int, hs []string) []api.ShardHolder {
	if len(hs) == 0 {
		return []api.ShardHolder{{Shard: j}}
	}
	rows := make([]api.ShardHolder, 0, len(hs))
	for _, id := range hs {
		nd, _ := plan.Node(id)
		rows = append(rows, api.ShardHolder{Shard: j, Node: id, Member: nd.Member, Region: nd.Region})
	}
	return rows
}
