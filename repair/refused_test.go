package repair

import (
	"context"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// refusingNet refuses every delete on the nodes in refuse with errs.Permission, as a node's
// delete policy refuses a delete that could lose data.
type refusingNet struct {
	*fakeNet
	refuse map[string]bool
}

func (r *refusingNet) Delete(ctx context.Context, node string, c cid.Cid) error {
	if r.refuse[node] {
		return errs.Errorf("fake", errs.Permission, "peer may not delete %s", c)
	}
	return r.fakeNet.Delete(ctx, node, c)
}

// passWith runs one pass on every node with sh as shard I/O and sums the reports.
func (f *fed) passWith(sh Shards, rebalance int) Report {
	f.t.Helper()
	var sum Report
	for _, n := range f.nodes {
		r := f.reps[n.ID]
		if r == nil {
			r = f.repairer(n.ID, func(c *Config) { c.Shards, c.RebalanceStripes = sh, rebalance })
			f.reps[n.ID] = r
		}
		rep, err := r.Pass(context.Background())
		if err != nil {
			f.t.Fatalf("pass on %s: %v", n.ID, err)
		}
		sum.add(&rep)
	}
	return sum
}

func TestRefusedDrainDeletesKeepTheCopyWithoutFailing(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o1", 300<<10)
	d := f.holderOfManifest()
	held := f.net.count(d)
	f.cat.setActive(d, false)
	net := &refusingNet{fakeNet: f.net, refuse: map[string]bool{d: true}}
	rep := f.passWith(net, 0)
	if rep.Failed != 0 || rep.Deleted != 0 || rep.ManifestDeletes != 0 || rep.DeletesRefused != held {
		t.Fatalf("drain pass with every delete refused: %+v; want no failure, %d refusals counted", rep, held)
	}
	if rep.Copied == 0 || rep.Queued == 0 {
		t.Fatalf("drain pass: %+v; want the shards copied and the refused copies queued for the next pass", rep)
	}
	if n := f.net.count(d); n != held {
		t.Fatalf("draining node holds %d blocks, want its %d refused copies", n, held)
	}
	f.checkPlaced(d)
	f.checkManifests(d)
	net.refuse = nil // the holder changes its mind (its catalog caught up): the drain completes
	if rep := f.passWith(net, 0); rep.Failed != 0 || f.net.count(d) != 0 {
		t.Fatalf("drain pass once deletes are allowed: %+v, %d blocks left", rep, f.net.count(d))
	}
	f.readBack()
}

func TestRefusedRebalanceDeleteIsNotAFailure(t *testing.T) {
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o1", 600<<10)
	f.join()
	refuse := map[string]bool{}
	for _, n := range f.nodes {
		refuse[n.ID] = true
	}
	net := &refusingNet{fakeNet: f.net, refuse: refuse}
	rep := f.passWith(net, 64)
	if rep.RebalanceFailed != 0 || rep.RebalancedStripes == 0 || rep.Rebalanced != 0 || rep.DeletesRefused == 0 {
		t.Fatalf("rebalance with every delete refused: %+v; want stripes moved, old copies kept and counted, no failure", rep)
	}
	if n := f.misplaced(); n == 0 {
		t.Fatal("test setup: no surplus copy left though every delete was refused")
	}
	// The next pass sees each moved shard on its ideal holder: nothing more to move.
	if rep := f.passWith(net, 64); rep.RebalancedStripes+rep.RebalanceFailed+rep.Failed != 0 {
		t.Fatalf("pass after refused deletes: %+v; want nothing to do", rep)
	}
	f.readBack()
}
