package node

import (
	"context"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// startLoops starts the node's background work; each loop stops when ctx ends.
func (n *Node) startLoops(ctx context.Context) {
	n.goFunc(func() { n.gcLoop(ctx) })
	n.goFunc(func() { n.meshLoop(ctx) })
	n.goFunc(func() { n.rewrapLoop(ctx) })
}

// stopped is closed when the node begins to stop.
func (n *Node) stopped() <-chan struct{} { return n.bgCtx.Done() }

// gcLoop removes orphan blocks: blocks no committed object references (shards of a publish
// that never committed). A block is deleted only after it has been seen unreferenced for the
// whole grace period, so an upload in flight is never touched.
func (n *Node) gcLoop(ctx context.Context) {
	seen := make(map[cid.Cid]time.Time)
	t := time.NewTicker(n.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p := n.deletes.Load(); p != nil {
			_ = p.index.sync(ctx) // keep the delete index warm; a DELETE finishes what this leaves
		}
		deleted, err := n.collectGarbage(ctx, seen)
		if err != nil {
			n.log.Warn("garbage collection skipped", "err", err)
			continue
		}
		if deleted > 0 {
			n.log.Info("garbage collection", "deleted_blocks", deleted)
		}
	}
}

// collectGarbage runs one pass. seen remembers since when each unreferenced block was seen.
func (n *Node) collectGarbage(ctx context.Context, seen map[cid.Cid]time.Time) (int, error) {
	// A replica that is behind (partitioned, just restarted) would take shards of committed
	// objects for orphans: catch up with the leader first, or skip the pass.
	if err := n.raft.LinearizableRead(ctx); err != nil {
		return 0, err
	}
	refs, err := n.referencedBlocks(ctx)
	if err != nil {
		return 0, err // unknown references: delete nothing
	}
	now := n.now()
	var doomed []cid.Cid
	present := make(map[cid.Cid]bool)
	err = n.store.Enumerate(ctx, func(c cid.Cid, _ int64) error {
		present[c] = true
		if refs[c] {
			return nil
		}
		first, ok := seen[c]
		if !ok {
			seen[c] = now
		} else if now.Sub(first) >= n.cfg.OrphanGrace {
			doomed = append(doomed, c)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for c := range seen {
		if !present[c] || refs[c] {
			delete(seen, c)
		}
	}
	deleted := 0
	for _, c := range doomed {
		if err := n.store.Delete(ctx, c); err == nil {
			n.p2p.Forget(c) // no longer announced
			deleted++
			delete(seen, c)
			n.metrics.gcDeleted.Inc()
		}
	}
	return deleted, nil
}

// referencedBlocks returns every manifest and shard CID of every committed object.
func (n *Node) referencedBlocks(ctx context.Context) (map[cid.Cid]bool, error) {
	refs := make(map[cid.Cid]bool)
	cursor := ""
	for {
		page, err := n.state.Objects(cursor, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			refs[o.Manifest] = true
			m, err := n.manifest(ctx, o.Manifest)
			if err != nil {
				return nil, err
			}
			for _, s := range m.Stripes {
				for _, c := range s.Shards {
					refs[c] = true
				}
			}
		}
		if page.Next == "" {
			return refs, nil
		}
		cursor = page.Next
	}
}

// allowDelete decides whether peer from may delete block c here over the shard protocol (only
// repair does; GC deletes locally): see deletePolicy. Before the policy exists it refuses.
func (n *Node) allowDelete(ctx context.Context, from peer.ID, c cid.Cid) bool {
	p := n.deletes.Load()
	return p != nil && p.allow(ctx, from, c)
}
