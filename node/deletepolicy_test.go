package node

import (
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	dto "github.com/prometheus/client_model/go"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/repair"
)

func TestDeleteNeedsAnActiveRegisteredCaller(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[0]
	designated := f.shardHolder(t, st, 0)
	self := f.other(t, st)
	f.hold(self, c)
	f.hold(designated, c)
	p := f.policy(self)
	caller := f.id(0)
	if got := p.decide(decideCtx(t), caller, c); got != "" {
		t.Fatalf("active caller, copy on the designated holder: refused (%s), want allowed", got)
	}
	if got := p.decide(decideCtx(t), testPeer(t, "stranger"), c); got != refuseCaller {
		t.Fatalf("unregistered caller: %q, want %q", got, refuseCaller)
	}
	f.setState(0, catalog.NodeGone)
	if got := p.decide(decideCtx(t), caller, c); got != refuseCaller {
		t.Fatalf("gone caller: %q, want %q", got, refuseCaller)
	}
	// A replica that does not know itself yet (still replaying) cannot judge: refused.
	if got := f.policy(testPeer(t, "new")).decide(decideCtx(t), f.id(1), c); got != refuseUnknown {
		t.Fatalf("receiver unknown to its own catalog: %q, want %q", got, refuseUnknown)
	}
}

func TestDeleteOfUnreferencedBlockIsRefused(t *testing.T) {
	f := newFakeFed(t)
	f.publish("a", 2)
	orphan := testCID(cid.Raw, "orphan")
	for _, n := range f.nodes {
		f.hold(n.PeerID, orphan) // held everywhere: only the reference rule can refuse
	}
	p := f.policy(f.id(1))
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnreferenced {
		t.Fatalf("unreferenced block: %q, want %q", got, refuseUnreferenced)
	}
	f.setState(1, catalog.NodeDraining) // a draining node accepts any active copy, but not here
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnreferenced {
		t.Fatalf("unreferenced block on a draining node: %q, want %q", got, refuseUnreferenced)
	}
	// With a manifest unreachable, "not found" proves nothing: still refused, as unknown.
	mc, _ := f.publish("b", 1)
	delete(f.manifests, mc)
	if got := p.decide(decideCtx(t), f.id(0), orphan); got != refuseUnknown {
		t.Fatalf("unreferenced block, index incomplete: %q, want %q", got, refuseUnknown)
	}
}

func TestDeleteRefusedOnTheDesignatedHolderUnlessItDrains(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[2]
	self := f.shardHolder(t, st, 2)
	for _, n := range f.nodes {
		f.hold(n.PeerID, c) // copies everywhere: only the designated rule can refuse
	}
	p := f.policy(self)
	if got := p.decide(decideCtx(t), f.other(t, st), c); got != refuseDesignated {
		t.Fatalf("delete on the designated holder: %q, want %q", got, refuseDesignated)
	}
	for i, n := range f.nodes {
		if n.PeerID == self {
			f.setState(i, catalog.NodeDraining)
		}
	}
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != "" {
		t.Fatalf("delete on a draining former holder with copies elsewhere: refused (%s)", got)
	}
}

func TestDeleteKeepsTheLastDesignatedCopy(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[1]
	designated := f.shardHolder(t, st, 1)
	self := f.other(t, st) // outside the stripe's placement
	f.hold(self, c)
	for i := range 5 {
		if h := f.shardHolder(t, st, i); h != designated {
			f.hold(h, c) // designated for other shards of the stripe, not for this one
		}
	}
	p := f.policy(self)
	caller := f.id(0)
	if got := p.decide(decideCtx(t), caller, c); got != refuseLastCopy {
		t.Fatalf("no designated holder of the shard has it: %q, want %q", got, refuseLastCopy)
	}
	f.hold(designated, c)
	if got := p.decide(decideCtx(t), caller, c); got != "" {
		t.Fatalf("designated holder has it: refused (%s)", got)
	}
}

func TestManifestDeleteNeedsACopyOnItsDesignatedHolders(t *testing.T) {
	f := newFakeFed(t)
	mc, _ := f.publish("a", 1)
	plan, err := placement.NewPlan(f.placementNodes(), placement.Policy{K: 3, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	ranked := plan.Ranked(repair.ManifestKey(mc))
	designated, _ := repair.PlanReplicas(ranked, nil, 3, func(string) bool { return true })
	p := f.policy(designated[0])
	for _, n := range f.nodes {
		f.hold(n.PeerID, mc)
	}
	if got := p.decide(decideCtx(t), f.id(0), mc); got != refuseDesignated {
		t.Fatalf("manifest delete on its designated holder: %q, want %q", got, refuseDesignated)
	}
	self := ranked[len(ranked)-1].ID // last in rank order: not designated
	f.blocks = map[string]map[cid.Cid]bool{}
	f.hold(self, mc)
	f.hold(ranked[len(ranked)-2].ID, mc)
	p = f.policy(self)
	if got := p.decide(decideCtx(t), f.id(0), mc); got != refuseLastCopy {
		t.Fatalf("manifest held only off its designated holders: %q, want %q", got, refuseLastCopy)
	}
	f.hold(designated[2], mc)
	if got := p.decide(decideCtx(t), f.id(0), mc); got != "" {
		t.Fatalf("manifest on a designated holder: refused (%s)", got)
	}
}

func TestDrainingNodeDeletesAgainstAnyActiveCopy(t *testing.T) {
	f := newFakeFed(t)
	_, m := f.publish("a", 1)
	st := &m.Stripes[0]
	c := st.Shards[0]
	self := f.shardHolder(t, st, 0)
	for i, n := range f.nodes {
		if n.PeerID == self {
			f.setState(i, catalog.NodeDraining)
		}
	}
	f.hold(self, c)
	p := f.policy(self)
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != refuseLastCopy {
		t.Fatalf("draining node holds the only copy: %q, want %q", got, refuseLastCopy)
	}
	// Repair moved it where placement.Repair keeps the other shards: not Place's holder of
	// shard 0, still an active node.
	elsewhere := f.shardHolder(t, st, 1)
	if elsewhere == f.shardHolder(t, st, 0) {
		t.Fatal("test setup")
	}
	f.hold(elsewhere, c)
	if got := p.decide(decideCtx(t), f.activeOtherThan(self), c); got != "" {
		t.Fatalf("draining copy with an active copy elsewhere: refused (%s)", got)
	}
}

func TestRefusalsAreCountedByReason(t *testing.T) {
	f := newFakeFed(t)
	f.publish("a", 1)
	p := f.policy(f.id(1))
	from, err := peer.Decode(f.id(0))
	if err != nil {
		t.Fatal(err)
	}
	if p.allow(decideCtx(t), from, testCID(cid.Raw, "orphan")) {
		t.Fatal("unreferenced block deleted")
	}
	var got dto.Metric
	if err := p.refused.WithLabelValues(refuseUnreferenced).Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Fatalf("refusals counted: %v (%v), want 1", got.GetCounter().GetValue(), err)
	}
}
