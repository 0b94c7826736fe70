package repair

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/placement"
)

// stripesOf counts the stripes of the federation's objects.
func (f *fed) stripes() int {
	n := 0
	for _, o := range f.cat.objects {
		n += len(o.Manifest.Stripes)
	}
	return n
}

// eachStripe calls fn for every stripe of every object.
func (f *fed) eachStripe(fn func(st *chunker.Stripe)) {
	for _, o := range f.cat.objects {
		for i := range o.Manifest.Stripes {
			fn(&o.Manifest.Stripes[i])
		}
	}
}

// checkPlaced fails unless every shard of every stripe is on exactly the reachable, active
// nodes (apart from gone) in a way the policy accepts: k+m distinct holders, Check clean.
func (f *fed) checkPlaced(gone ...string) {
	f.t.Helper()
	nodes, _ := f.cat.Nodes(context.Background())
	plan, err := placement.NewPlan(nodes, f.pol)
	if err != nil {
		f.t.Fatal(err)
	}
	plan = plan.Without(gone...)
	f.eachStripe(func(st *chunker.Stripe) {
		assign := make([]string, len(st.Shards))
		for i, c := range st.Shards {
			for _, h := range f.net.holders(c) {
				if !slices.Contains(gone, h) {
					assign[i] = h
				}
			}
		}
		bad, err := plan.Check(assign)
		if err != nil || len(bad) > 0 {
			f.t.Fatalf("stripe not placed by the policy: %v %+v (holders %v)", err, bad, assign)
		}
	})
}

func TestPassOnHealthyFederationChecksEachStripeOnceAndMovesNothing(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o1", 300<<10)
	f.publish("o2", 100<<10)
	before := f.net.snapshot()
	rep := f.passAll()
	if rep.Stripes != f.stripes() || rep.Full != f.stripes() {
		t.Fatalf("checked %d stripes, %d full; want each of the %d stripes checked once and full", rep.Stripes, rep.Full, f.stripes())
	}
	if rep.Rebuilt+rep.Copied+rep.Deleted+rep.Queued != 0 {
		t.Fatalf("healthy federation changed: %+v", rep)
	}
	if !reflect.DeepEqual(before, f.net.snapshot()) {
		t.Fatal("a pass over a healthy federation changed the stores")
	}
}

func TestNodeLossRebuildsAfterGrace(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o1", 400<<10)
	f.publish("o2", 200<<10)
	lostNode := f.holderOfManifest()
	held := f.net.count(lostNode) - f.manifests(lostNode)
	if held == 0 {
		t.Fatal("test setup: the lost node holds no shard")
	}
	f.net.setDown(lostNode, true)
	f.net.wipe(lostNode)

	rep := f.passAll()
	if rep.Rebuilt != 0 || rep.Pending == 0 {
		t.Fatalf("within the grace period: rebuilt %d, pending %d; want nothing rebuilt and stripes pending", rep.Rebuilt, rep.Pending)
	}
	f.clock.advance(DefaultConfig().Grace)
	rep = f.passAll()
	if rep.Rebuilt != held || rep.Failed != 0 || rep.Queued != 0 {
		t.Fatalf("after the grace period: %+v; want the %d lost shards rebuilt", rep, held)
	}
	if rep.Full != f.stripes() {
		t.Fatalf("%d of %d stripes full after repair", rep.Full, f.stripes())
	}
	f.checkPlaced(lostNode)
	f.checkManifests(lostNode)
	f.readBack()
	if rep = f.passAll(); rep.Rebuilt+rep.Copied != 0 || rep.Full != f.stripes() {
		t.Fatalf("second pass after repair did work: %+v", rep)
	}
}

func TestMissingShardOnLiveHolderIsRebuiltAtOnce(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 64<<10)
	c := m.Stripes[0].Shards[4]
	h := f.net.holders(c)[0]
	f.net.mu.Lock()
	delete(f.net.blocks[h], c) // HAS now answers "no" (a scrub deleted it)
	f.net.mu.Unlock()
	rep := f.passAll()
	if rep.Rebuilt != 1 || rep.FoundDegraded != 1 || rep.Full != 1 {
		t.Fatalf("report %+v; want one shard rebuilt and the stripe full again", rep)
	}
	if got := f.net.holders(c); len(got) != 1 {
		t.Fatalf("rebuilt shard held by %v, want one node", got)
	}
	f.readBack()
}

func TestExactlyKWithOneCorruptFailsCleanly(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 64<<10)
	st := m.Stripes[0]
	f.net.mu.Lock()
	for _, i := range []int{0, 3} { // two shards gone: exactly k left
		for _, h := range f.net.holders_(st.Shards[i]) {
			delete(f.net.blocks[h], st.Shards[i])
		}
	}
	f.net.mu.Unlock()
	f.net.corrupt(f.net.holders(st.Shards[1])[0], st.Shards[1]) // and one of them rotten
	before := f.net.snapshot()
	puts := maps.Clone(f.net.puts)

	rep := f.passAll()
	if rep.Failed != 1 || rep.Rebuilt != 0 || rep.Queued != 1 || rep.Critical != 1 {
		t.Fatalf("report %+v; want one failed, critical stripe and nothing rebuilt", rep)
	}
	if !reflect.DeepEqual(before, f.net.snapshot()) || !maps.Equal(puts, f.net.puts) {
		t.Fatal("a failed repair changed the stores")
	}
}

func TestRateLimitHolds(t *testing.T) {
	const rate = 64 << 10 // the smallest burst, so every node must wait
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c")
	f.publish("o", 1<<20)
	lostNode := f.nodes[1].ID
	f.net.wipe(lostNode)
	// Each node has its own bucket: measure each node's pass against it (full burst at start).
	var start = f.clock.Now()
	var total, all int64
	var worst float64 // bytes moved over the budget burst + rate × t, at the worst moment
	f.net.trace = func(op string, n int) {
		total += int64(n)
		all += int64(n)
		budget := float64(rate) + float64(rate)*f.clock.Now().Sub(start).Seconds()
		worst = max(worst, float64(total)/budget)
	}
	first := f.clock.Now()
	var sum Report
	for _, n := range f.nodes {
		start, total = f.clock.Now(), 0
		r := f.repairer(n.ID, func(c *Config) { c.BytesPerSecond, c.Workers = rate, 1 }) // one sleeper: fake time adds up
		rep, err := r.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum.add(&rep)
	}
	elapsed := f.clock.Now().Sub(first).Seconds()
	if sum.Rebuilt == 0 || all == 0 {
		t.Fatalf("nothing was repaired: %+v", sum)
	}
	if elapsed == 0 {
		t.Fatal("the limiter never waited; the test moves too little data")
	}
	if worst > 1.0001 {
		t.Fatalf("traffic ran %.2f× ahead of a %d B/s bucket", worst, rate)
	}
	if avg := float64(all) / elapsed; avg < rate/2 {
		t.Fatalf("average %.0f B/s over %.1fs, far below the %d B/s allowed", avg, elapsed, rate)
	}
}

func TestStatusMapsLastPass(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	f.publish("o", 200<<10)
	self := f.nodes[0].ID
	r := f.repairer(self, nil)
	if s := r.Status(); !s.Measured.IsZero() {
		t.Fatalf("status before any pass: %+v", s)
	}
	rep, err := r.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := r.Status()
	if s.Full != rep.Full || s.RepairQueue != rep.Queued || !s.Measured.Equal(f.clock.Now()) || s.Running {
		t.Fatalf("status %+v does not match the pass %+v", s, rep)
	}
}

// holders_ is holders for a caller that already holds the lock.
func (f *fakeNet) holders_(c cid.Cid) []string {
	var out []string
	for n, bs := range f.blocks {
		if _, ok := bs[c]; ok {
			out = append(out, n)
		}
	}
	return out
}

func TestObjectWithoutManifestIsCountedNotFatal(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	f.publish("o", 64<<10)
	f.cat.objects = append(f.cat.objects, Object{ID: "unreachable", Policy: pol32})
	rep, err := f.repairer(f.nodes[0].ID, nil).Pass(context.Background())
	if err != nil || rep.NoManifest != 1 {
		t.Fatalf("pass: %+v, %v; want one object without manifest counted", rep, err)
	}
}

func TestLossOfMNodesIsRepairedFully(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c", "c", "d")
	for i := range 4 {
		f.publish(string(rune('p'+i)), 256<<10)
	}
	gone := []string{f.nodes[1].ID, f.nodes[4].ID} // m = 2 nodes of different members
	for _, g := range gone {
		f.net.setDown(g, true)
		f.net.wipe(g)
	}
	f.passAll()
	f.clock.advance(DefaultConfig().Grace)
	rep := f.passAll()
	if rep.Failed != 0 || rep.Queued != 0 || rep.Full != f.stripes() || rep.FoundCritical == 0 {
		t.Fatalf("report %+v; want every one of %d stripes repaired, some from exactly k", rep, f.stripes())
	}
	f.checkPlaced(gone...)
	f.checkManifests(gone...)
	f.readBack()
}
