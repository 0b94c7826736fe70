package node

import (
	"context"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// Status implements api.Backend.
func (n *Node) Status(ctx context.Context, sub api.Subject) (*api.Status, error) {
	st := n.raft.Stats()
	self := api.NodeInfo{PeerID: n.PeerID().String(), Member: n.cfg.Member, API: n.apiURL(), Addrs: n.P2PAddrs(), State: "unregistered", Connected: true}
	if nd, err := n.state.Node(self.PeerID); err == nil {
		self = n.nodeInfo(nd)
	}
	out := &api.Status{
		Node: self, Leader: st.Leader.String(), Term: st.Term, Applied: st.AppliedIndex,
		Peers: len(n.p2p.Host().Network().Peers()),
		TLS:   n.tls.status(), Warnings: append(n.tlsWarnings(), n.storeWarnings()...),
	}
	n.statusCounts(sub, out)
	return out, nil
}

// statusCounts fills in the object count and redundancy for admins of this node's member
// only: both count objects of every catalog, so they would tell others about publishing in
// catalogs they may not read (docs/api.md, "Who may see metrics and status").
func (n *Node) statusCounts(sub api.Subject, out *api.Status) {
	if n.mayRunOwnNode(sub, "node.Status", "the object count and redundancy") != nil {
		return
	}
	objs := n.state.Len()
	out.Objects, out.Redundancy = &objs, n.redundancy()
}

// Ready implements api.Backend: the replica is known to be current (catchup.go), a leader
// is known, this node is registered, and at least k
// nodes of the default placement are reachable (enough to read, and to write degraded).
func (n *Node) Ready(ctx context.Context) error {
	const op = "node.Ready"
	if err := n.catchingUp(); err != nil {
		return err // requests are refused until the replica has caught up: not ready either
	}
	if err := n.stale(); err != nil {
		return err // authenticated requests are refused while the replica may be stale
	}
	if err := n.checkMemberKey(); err != nil {
		return err // every read of the member's objects would fail with 403
	}
	if err := n.store.Health(); err != nil {
		return err // writes would fail: a vanished or read-only data directory
	}
	if n.raft.Leader() == "" {
		return errs.Errorf(op, errs.Unavailable, "no Raft leader known: a majority of voters must be up")
	}
	if !n.state.IsRegisteredPeer(n.PeerID().String()) {
		return errs.Errorf(op, errs.Unavailable, "this node is not registered in the catalog yet: wait for the join to replicate")
	}
	fed, ok := n.state.Federation()
	if !ok {
		return errs.Errorf(op, errs.Unavailable, "federation not bootstrapped")
	}
	want := fed.DefaultPlacement.K // enough to write (degraded) and to read
	reach := 0
	for _, nd := range n.state.Nodes(catalog.NodeActive) {
		if nd.PeerID == n.PeerID().String() {
			reach++
		} else if id, err := peer.Decode(nd.PeerID); err == nil && len(n.p2p.Host().Network().ConnsToPeer(id)) > 0 {
			reach++
		}
	}
	if reach < want {
		return errs.Errorf(op, errs.Unavailable, "%d active nodes reachable, at least %d needed for %d+%d placement", reach, want, fed.DefaultPlacement.K, fed.DefaultPlacement.M)
	}
	return nil
}

// Verify implements api.Backend: what an auditor checks about a PID.
func (n *Node) Verify(ctx context.Context, sub api.Subject, p string, content bool) (*api.Verification, error) {
	o, err := n.readable(ctx, sub, p)
	if err != nil {
		return nil, err
	}
	if content && o.Key(n.cfg.Member) == nil {
		// This node cannot decrypt, so it cannot check the content: say so before doing
		// anything, so the client asks a node that can (not a "content: failed" verdict).
		return nil, wrongNodeForKey(n.cfg.Member)
	}
	v := &api.Verification{PID: pid.Format(o.PID)}
	if _, err := pid.VerifyRecord(o.PID, o.Record); err != nil {
		v.Problems = append(v.Problems, err.Error())
		v.RecordHashOK = !errs.Is(err, errs.Corrupt)
	} else {
		v.RecordHashOK, v.SignatureOK = true, true
	}
	if es, _ := n.state.Audit(o.Index, 1); len(es) == 1 && es[0].Index == o.Index {
		e := toAPIAudit(es[0])
		v.AuditEntry = &e
	} else {
		v.Problems = append(v.Problems, "no audit entry at the publish index")
	}
	m, err := n.manifest(ctx, o.Manifest)
	if err != nil {
		v.Problems = append(v.Problems, "manifest: "+err.Error())
		return v, nil
	}
	holders := n.shardHolders(ctx, m)
	v.Stripes = stripeHealth(m, holders)
	if cat, err := n.state.Catalog(o.Catalog); err != nil {
		v.Problems = append(v.Problems, "placement: "+err.Error())
	} else if v.Placement, err = n.placementAudit(toPlacementPolicy(cat.Placement), m, holders); err != nil {
		v.Problems = append(v.Problems, "placement: "+err.Error())
	}
	if content {
		v.ContentChecked = true
		if err := n.checkContent(ctx, sub, p, o.Content); err != nil {
			v.Problems = append(v.Problems, "content: "+err.Error())
		} else {
			v.ContentOK = true
		}
	}
	return v, nil
}

// stripeHealth counts, for each stripe, the shards that at least one node answered for.
func stripeHealth(m *chunker.Manifest, holders map[cid.Cid][]string) []api.StripeHealth {
	out := make([]api.StripeHealth, len(m.Stripes))
	for i, s := range m.Stripes {
		out[i] = api.StripeHealth{Index: i, Needed: m.K, Total: m.K + m.M}
		for _, c := range s.Shards {
			if len(holders[c]) > 0 {
				out[i].Reachable++
			}
		}
	}
	return out
}

// checkContent reads the whole object and compares its content CID with the record's.
func (n *Node) checkContent(ctx context.Context, sub api.Subject, p string, want cid.Cid) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() { // owned here: we wait for it below
		defer close(done)
		pw.CloseWithError(n.ReadContent(ctx, sub, p, 0, -1, pw))
	}()
	got, err := chunker.ComputeContentID(pr)
	pr.CloseWithError(err)
	<-done
	if err != nil {
		return err
	}
	if !got.CID.Equals(want) {
		return errs.Errorf("node.checkContent", errs.Corrupt, "content CID %s, record says %s", got.CID, want)
	}
	return nil
}
