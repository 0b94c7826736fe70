package node

import (
	"context"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/repair"
	"github.com/meridian-fed/meridian/store"
)

// repairIO gives package repair shard I/O on any node (local store for this node).
type repairIO struct{ n *Node }

func (r repairIO) Has(ctx context.Context, node string, cids []cid.Cid) ([]bool, error) {
	id, err := decodePeer(node)
	if err != nil {
		return nil, err
	}
	return r.n.shards.has(ctx, id, cids)
}

func (r repairIO) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	id, err := decodePeer(node)
	if err != nil {
		return nil, err
	}
	return r.n.shards.get(ctx, id, c)
}

// VerifiesGets implements repair.VerifyingShards: the local store's Get checks blocks against
// their CID (store.Store's contract) and so does the shard protocol's GET of a whole shard.
func (r repairIO) VerifiesGets() bool { return r.n.p2p.Shards().VerifiesShards() }

func (r repairIO) Put(ctx context.Context, node string, c cid.Cid, data []byte) error {
	id, err := decodePeer(node)
	if err != nil {
		return err
	}
	return r.n.shards.put(ctx, id, c, data)
}

func (r repairIO) Delete(ctx context.Context, node string, c cid.Cid) error {
	id, err := decodePeer(node)
	if err != nil {
		return err
	}
	if id == r.n.PeerID() {
		err := r.n.store.Delete(ctx, c)
		if err == nil {
			r.n.p2p.Forget(c) // no longer announced
		}
		return err
	}
	return r.n.p2p.Shards().DeleteShard(ctx, id, c)
}

// Announce implements repair.Announcer for shards this node received.
func (r repairIO) Announce(_ context.Context, node string, cids []cid.Cid) error {
	if node == r.n.PeerID().String() {
		for _, c := range cids {
			r.n.p2p.Provide(c)
		}
	}
	return nil
}

// repairCatalog is repair's read-only view of the committed state.
type repairCatalog struct{ n *Node }

func (c repairCatalog) Nodes(context.Context) ([]placement.Node, error) {
	return c.n.placementNodesAll(), nil
}

func (c repairCatalog) Objects(ctx context.Context, fn func(repair.Object) error) error {
	if err := c.n.raft.LinearizableRead(ctx); err != nil {
		return err // a replica that is behind would miss objects: skip the pass
	}
	cursor := ""
	for {
		page, err := c.n.state.Objects(cursor, 1000)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := fn(c.object(ctx, o)); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		cursor = page.Next
	}
}

func (c repairCatalog) object(ctx context.Context, o *catalog.Object) repair.Object {
	obj := repair.Object{ID: o.PID.String(), ManifestCID: o.Manifest}
	if cat, err := c.n.state.Catalog(o.Catalog); err == nil {
		obj.Policy = toPlacementPolicy(cat.Placement)
	}
	if m, err := c.n.manifest(ctx, o.Manifest); err == nil {
		obj.Manifest = m // nil when unreachable: counted by repair, not fatal
	}
	return obj
}

// startDurability starts the repair and scrub loops.
func (n *Node) startDurability(ctx context.Context) error {
	m := repair.NewMetrics(n.reg)
	rc := repair.DefaultConfig()
	rc.Self, rc.Catalog, rc.Shards = n.PeerID().String(), repairCatalog{n}, repairIO{n}
	rc.Log, rc.Metrics = n.log.With("part", "repair"), m
	if n.cfg.RepairGrace > 0 {
		rc.Grace = n.cfg.RepairGrace
	}
	if n.cfg.RepairInterval > 0 {
		rc.Interval = n.cfg.RepairInterval
	}
	rc.BytesPerSecond = n.cfg.RepairRate
	rc.Workers = n.cfg.Transfers       // stripes repaired at once: like a GET, latency-bound
	rc.Ready = n.raft.LinearizableRead // the first pass counts a caught-up replica, not an empty one
	r, err := repair.New(rc)
	if err != nil {
		return err
	}
	s, err := repair.NewScrubber(repair.ScrubConfig{Store: n.store, BytesPerSecond: 64 << 20, Log: n.log.With("part", "scrub"), Metrics: m, Removed: r.Kick, Found: n.scrubFound})
	if err != nil {
		return err
	}
	n.repairer, n.scrubber = r, s
	n.kickable.Store(r)
	n.goFunc(func() { r.Run(ctx) })
	n.goFunc(func() { s.Run(ctx) })
	n.goFunc(func() { n.kickSender(ctx) })
	n.goFunc(func() { n.retireWhenDrained(ctx, rc.Interval) })
	return nil
}

// kickRepair asks the local repair loop for a pass soon (a degraded publish, a node back);
// kicks coalesce and cost a channel send. Before the loop starts it does nothing.
func (n *Node) kickRepair(why string) {
	if r := n.kickable.Load(); r != nil {
		n.log.Debug("repair kicked", "why", why)
		r.Kick()
	}
}

// retireWhenDrained marks this node gone once it is draining and its last repair pass found
// no shard of any committed object left on it.
func (n *Node) retireWhenDrained(ctx context.Context, every time.Duration) {
	t := time.NewTicker(min(every, 5*time.Second))
	defer t.Stop()
	self := n.PeerID().String()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		nd, err := n.state.Node(self)
		if err != nil || nd.State != catalog.NodeDraining || !n.repairer.Status().Last.Drained {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = n.propose(pctx, catalog.NodePrefix+self, catalog.RemoveNode(self))
		cancel()
		if err != nil {
			n.log.Warn("drained, but cannot mark this node gone yet", "err", err)
			continue
		}
		n.log.Info("drained: this node holds no shards any more and is now marked gone")
		return
	}
}

// redundancy maps the repair loop's last pass to the API's view: nil (not yet known) until a
// pass has completed, which waits for this node's replica to catch up with the leader, so
// status never shows the zeros of an empty replica as counts.
func (n *Node) redundancy() *api.Redundancy {
	r := n.kickable.Load()
	if r == nil {
		return nil
	}
	st := r.Status()
	if st.Measured.IsZero() {
		return nil
	}
	out := &api.Redundancy{Full: st.Full, Degraded: st.Degraded, Critical: st.Critical, Lost: st.Lost, RepairQueue: st.RepairQueue, Measured: st.Measured,
		Waiting: st.Last.Unplaceable, WaitingWhy: st.Last.UnplaceableWhy}
	if bad := n.bad.since(st.Measured); bad > 0 { // found by reads or scrubs since that pass
		out.Full, out.Degraded = out.Full-min(bad, out.Full), out.Degraded+bad
		out.RepairQueue += bad
	}
	if age := n.scrubber.Age(); age > 0 {
		out.ScrubAge = age.Round(time.Second).String()
	}
	return out
}

// ScrubNow re-hashes every block of this node's store at once (on demand), deleting damaged
// ones and waking the repair loop to restore them. It returns the scrub's report.
func (n *Node) ScrubNow(ctx context.Context) (store.ScrubReport, error) {
	rep, err := n.scrubber.Scrub(ctx)
	if err == nil && rep.Removed > 0 {
		n.kickRepair("scrub removed blocks")
	}
	return rep, err
}

// Scrub implements api.Backend: an on-demand scrub, for admins of this node's member
// (mayRunOwnNode).
func (n *Node) Scrub(ctx context.Context, sub api.Subject) (*api.ScrubReport, error) {
	if err := n.mayRunOwnNode(sub, "node.Scrub", "a full scrub of this node"); err != nil {
		return nil, err
	}
	rep, err := n.ScrubNow(ctx)
	if err != nil {
		return nil, err
	}
	return &api.ScrubReport{Blocks: rep.Blocks, Bytes: rep.Bytes, Corrupt: rep.Corrupt, Removed: rep.Removed, Failed: rep.Failed}, nil
}

// StoreDir returns the directory of this node's block store (for operators and fault tests).
func (n *Node) StoreDir() string { return n.store.Dir() }

// RepairedBytes returns the bytes of shards this node's repair loop has rebuilt so far.
func (n *Node) RepairedBytes() int64 { return n.RepairActivity().RebuiltBytes }

// RepairActivity returns what this node's repair loop has rebuilt so far and whether it is
// rebuilding now (for throughput measurements: bytes over Began..Stored).
func (n *Node) RepairActivity() repair.Activity {
	if n.repairer == nil {
		return repair.Activity{}
	}
	return n.repairer.Activity()
}
