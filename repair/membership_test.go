package repair

import (
	"context"
	"slices"
	"testing"
)

func TestDrainEmptiesNodeAndReportsDrained(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o1", 300<<10)
	f.publish("o2", 150<<10)
	d := f.holderOfManifest()
	manifests := f.manifests(d)
	held := f.net.count(d) - manifests
	if held == 0 {
		t.Fatal("test setup: the draining node holds no shard")
	}
	f.cat.setActive(d, false)
	self := f.repairer(d, nil)
	rep, err := self.Pass(context.Background())
	if err != nil || !rep.Draining || rep.Drained || rep.LocalShards != held+manifests || rep.Stripes != 0 {
		t.Fatalf("draining node before the move: %+v, %v; want %d local shards, not drained, no stripes checked", rep, err, held)
	}
	all := f.passAll()
	if all.Copied != held || all.Deleted != held || all.ManifestDeletes != manifests || all.Failed != 0 {
		t.Fatalf("drain pass: %+v; want %d shards copied and deleted, %d manifest copies deleted", all, held, manifests)
	}
	if n := f.net.count(d); n != 0 {
		t.Fatalf("draining node still holds %d blocks", n)
	}
	rep, err = self.Pass(context.Background())
	if err != nil || !rep.Drained || rep.LocalShards != 0 {
		t.Fatalf("draining node after the move: %+v, %v; want drained", rep, err)
	}
	f.checkPlaced(d)
	f.checkManifests(d)
	f.readBack()
}

func TestDrainWithCorruptCopyRebuildsInstead(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	m := f.publish("o", 64<<10)
	c := m.Stripes[0].Shards[2]
	d := f.net.holders(c)[0]
	f.net.corrupt(d, c)
	f.cat.setActive(d, false)
	rep := f.passAll()
	if rep.Copied != 0 || rep.Rebuilt != 1 || rep.Deleted != 1 || rep.Failed != 0 {
		t.Fatalf("report %+v; want the rotten draining copy replaced by a rebuild, then deleted", rep)
	}
	f.checkPlaced(d)
	f.readBack()
}

func TestHolderDyingMidPassIsPlannedAround(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 512<<10)
	f.net.wipe(f.nodes[3].ID) // its shards are missing: rebuilt at once
	flaky := f.nodes[4].ID
	f.net.dieIn[flaky] = 4 // answers a few requests, then goes down: its shards wait for the grace period
	reps := map[string]*Repairer{}
	pass := func() Report {
		var sum Report
		for _, n := range f.nodes {
			if reps[n.ID] == nil {
				reps[n.ID] = f.repairer(n.ID, func(c *Config) { c.Batch = 1 })
			}
			if f.net.down[n.ID] {
				continue
			}
			rep, err := reps[n.ID].Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sum.add(&rep)
		}
		return sum
	}
	sum := pass()
	if sum.Rebuilt == 0 || sum.Pending == 0 {
		t.Fatalf("report %+v; want the wiped node's shards rebuilt and the flaky one's waiting", sum)
	}
	pass() // every node has now seen it fail: their grace clocks run
	flakyShards := 0
	for _, st := range m.Stripes {
		for _, c := range st.Shards {
			if hs := f.net.holders(c); slices.Contains(hs, flaky) {
				flakyShards++
				if len(hs) > 1 {
					t.Fatalf("a shard of the unanswering node was rebuilt within its grace period: %v", hs)
				}
			}
		}
	}
	f.clock.advance(DefaultConfig().Grace)
	if sum = pass(); sum.Pending != 0 || sum.Queued != 0 || sum.Full != len(m.Stripes) {
		t.Fatalf("after the grace period: %+v; want no stripe pending on the flaky node", sum)
	}
	for _, st := range m.Stripes {
		for _, c := range st.Shards {
			if hs := f.net.holders(c); slices.Contains(hs, flaky) && len(hs) < 2 {
				t.Fatalf("a shard only the unanswering node holds was not rebuilt after its grace period")
			}
		}
	}
	if flakyShards == 0 {
		t.Fatal("test setup: the flaky node holds no shard")
	}
}

// holderOfManifest returns a node other than the publisher that holds a manifest.
func (f *fed) holderOfManifest() string {
	f.t.Helper()
	for _, n := range f.nodes[1:] {
		if f.manifests(n.ID) > 0 {
			return n.ID
		}
	}
	f.t.Fatal("test setup: no node but the publisher holds a manifest")
	return ""
}
