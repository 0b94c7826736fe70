package repair

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// guardNet fails the test when a delete would leave a shard on no other node, and can refuse
// puts to one node.
type guardNet struct {
	*fakeNet
	t       *testing.T
	refuse  string // puts to this node fail
	deletes map[string]int
}

func (g *guardNet) Put(ctx context.Context, node string, c cid.Cid, data []byte) error {
	if node == g.refuse {
		return errs.Errorf("fake", errs.NoSpace, "node %s is full", node)
	}
	return g.fakeNet.Put(ctx, node, c, data)
}

func (g *guardNet) Delete(ctx context.Context, node string, c cid.Cid) error {
	if !slices.ContainsFunc(g.holders(c), func(h string) bool { return h != node }) {
		g.t.Errorf("deleting %s from %s, its only holder", c, node)
	}
	g.fakeNet.mu.Lock()
	g.deletes[node]++
	g.fakeNet.mu.Unlock()
	return g.fakeNet.Delete(ctx, node, c)
}

// join adds a sixth node (its own member) to a five-node federation and returns it.
func (f *fed) join() string {
	n := makeNodes(f.t, "a", "b", "c", "d", "e", "f")[5]
	f.nodes = append(f.nodes, n)
	f.cat.mu.Lock()
	f.cat.nodes = append(f.cat.nodes, n)
	f.cat.mu.Unlock()
	return n.ID
}

// ideal returns Place(key) of st under the catalog's membership.
func (f *fed) ideal(st *chunker.Stripe) []string {
	f.t.Helper()
	nodes, _ := f.cat.Nodes(context.Background())
	plan, err := placement.NewPlan(nodes, f.pol)
	if err != nil {
		f.t.Fatal(err)
	}
	want, err := plan.Place(st.PlacementKey())
	if err != nil {
		f.t.Fatal(err)
	}
	return want
}

// misplaced counts the shards not held on exactly their ideal holder, and fails the test if a
// stripe has lost a shard.
func (f *fed) misplaced() int {
	f.t.Helper()
	n := 0
	f.eachStripe(func(st *chunker.Stripe) {
		want := f.ideal(st)
		for i, c := range st.Shards {
			hs := f.net.holders(c)
			if len(hs) == 0 {
				f.t.Fatalf("shard %d of a stripe has no holder", i)
			}
			if !slices.Equal(hs, []string{want[i]}) {
				n++
			}
		}
	})
	return n
}

// passEach runs one pass on every node with g as their shard I/O and returns their reports.
func (f *fed) passEach(g *guardNet, limit int) []Report {
	f.t.Helper()
	var reps []Report
	for _, n := range f.nodes {
		r := f.reps[n.ID]
		if r == nil {
			r = f.repairer(n.ID, func(c *Config) { c.Shards, c.RebalanceStripes = g, limit })
			f.reps[n.ID] = r
		}
		rep, err := r.Pass(context.Background())
		if err != nil {
			f.t.Fatalf("pass on %s: %v", n.ID, err)
		}
		reps = append(reps, rep)
	}
	return reps
}

func TestJoinRebalancesToPlacementAtALimitedPace(t *testing.T) {
	const limit = 1
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o1", 900<<10)
	f.publish("o2", 300<<10)
	g := &guardNet{fakeNet: f.net, t: t, deletes: map[string]int{}}
	if n := f.misplaced(); n != 0 {
		t.Fatalf("test setup: %d shards misplaced before the join", n)
	}
	joined := f.join()
	toMove := f.misplaced()
	if toMove == 0 {
		t.Fatal("test setup: the join moves nothing")
	}
	moved, bound := 0, false
	for pass := 0; f.misplaced() > 0; pass++ {
		if pass == 2*f.stripes() {
			t.Fatalf("still %d shards misplaced after %d passes", f.misplaced(), pass)
		}
		progress := 0
		for _, rep := range f.passEach(g, limit) {
			if rep.RebalancedStripes > limit || rep.Rebuilt+rep.Copied+rep.Deleted+rep.RebalanceFailed != 0 {
				t.Fatalf("pass %d: %+v; want at most %d stripes rebalanced and nothing repaired", pass, rep, limit)
			}
			progress += rep.RebalancedStripes
			bound = bound || rep.Unbalanced > limit
			moved += rep.Rebalanced
		}
		if progress == 0 {
			t.Fatalf("pass %d moved nothing; %d shards misplaced", pass, f.misplaced())
		}
	}
	if !bound {
		t.Fatalf("no pass found more than %d unbalanced stripes: the limit was never exercised", limit)
	}
	if moved != toMove {
		t.Fatalf("%d shards moved, want the %d whose placement changed", moved, toMove)
	}
	if f.net.count(joined) == 0 {
		t.Fatal("the joined node received nothing")
	}
	for n, d := range g.deletes {
		if n == joined {
			t.Fatalf("%d deletes on the joined node", d)
		}
	}
	for _, rep := range f.passEach(g, limit) {
		if rep.Unbalanced+rep.Rebalanced != 0 {
			t.Fatalf("a balanced federation still rebalances: %+v", rep)
		}
	}
	f.readBack()
	f.checkManifests()
}

func TestRebalanceWaitsForRepairs(t *testing.T) {
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o1", 1200<<10)
	g := &guardNet{fakeNet: f.net, t: t, deletes: map[string]int{}}
	f.join()
	// Take the node responsible for the most unbalanced stripes and lose one shard of one of
	// them: its pass must repair that stripe and leave the others for a later pass.
	nodes, _ := f.cat.Nodes(context.Background())
	plan, err := placement.NewPlan(nodes, f.pol)
	if err != nil {
		t.Fatal(err)
	}
	unbalanced := map[string][]*chunker.Stripe{}
	f.eachStripe(func(st *chunker.Stripe) {
		want := f.ideal(st)
		for i, c := range st.Shards {
			if !slices.Equal(f.net.holders(c), []string{want[i]}) {
				r := Responsible(plan.Ranked(st.PlacementKey()), func(string) bool { return true })
				unbalanced[r] = append(unbalanced[r], st)
				return
			}
		}
	})
	self := ""
	for r, sts := range unbalanced {
		if len(sts) > len(unbalanced[self]) {
			self = r
		}
	}
	if len(unbalanced[self]) < 2 {
		t.Fatalf("test setup: no node is responsible for two unbalanced stripes (%d)", len(unbalanced[self]))
	}
	c := unbalanced[self][0].Shards[0]
	f.net.mu.Lock()
	for _, bs := range f.net.blocks {
		delete(bs, c)
	}
	f.net.mu.Unlock()
	for x, rep := range f.passEach(g, 64) {
		if f.nodes[x].ID != self {
			continue
		}
		if rep.Rebuilt != 1 || rep.Unbalanced == 0 || rep.Rebalanced+rep.RebalancedStripes != 0 {
			t.Fatalf("responsible node's pass: %+v; want one shard rebuilt and nothing rebalanced", rep)
		}
	}
	for pass := 0; f.misplaced() > 0; pass++ {
		if pass == 2*f.stripes() {
			t.Fatalf("still %d shards misplaced after %d passes", f.misplaced(), pass)
		}
		f.passEach(g, 64)
	}
	f.readBack()
}

func TestAbandonedMoveLeavesEveryShardInPlace(t *testing.T) {
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o1", 600<<10)
	joined := f.join()
	g := &guardNet{fakeNet: f.net, t: t, refuse: joined, deletes: map[string]int{}}
	before := f.net.snapshot()
	var sum Report
	for _, rep := range f.passEach(g, 64) {
		sum.add(&rep)
	}
	if sum.RebalanceFailed == 0 {
		t.Fatalf("no move failed though the joined node refuses every put: %+v", sum)
	}
	after := f.net.snapshot()
	delete(after, joined)
	// Moves not involving the joined node may have completed; every stripe that failed must
	// be exactly as before, and no node may hold two shards of a stripe.
	f.eachStripe(func(st *chunker.Stripe) {
		seen := map[string]bool{}
		for i, c := range st.Shards {
			hs := f.net.holders(c)
			if len(hs) == 0 {
				t.Fatalf("shard %d lost", i)
			}
			for _, h := range hs {
				if seen[h] {
					t.Fatalf("node %s holds two shards of a stripe after an abandoned move", h)
				}
				seen[h] = true
			}
		}
	})
	if sum.Rebalanced == 0 && !maps.EqualFunc(before, after, func(a, b map[cid.Cid]string) bool { return reflect.DeepEqual(a, b) }) {
		t.Fatal("no move completed, yet the stores changed")
	}
	f.readBack()
}

func TestRebalanceHoldsTheRateLimit(t *testing.T) {
	const rate = 64 << 10 // the smallest burst, so every node must wait
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o", 1<<20)
	f.join()
	var start time.Time
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
		r := f.repairer(n.ID, func(c *Config) { c.BytesPerSecond, c.Workers = rate, 1 })
		rep, err := r.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum.add(&rep)
	}
	if sum.Rebalanced == 0 || f.clock.Now().Equal(first) {
		t.Fatalf("nothing rebalanced, or the limiter never waited: %+v", sum)
	}
	if worst > 1.0001 {
		t.Fatalf("rebalance traffic ran %.2f× ahead of a %d B/s bucket", worst, rate)
	}
}

func TestRebalanceSkipsATargetThatStoppedAnswering(t *testing.T) {
	f := newFed(t, pol32, "a", "b", "c", "d", "e")
	f.publish("o", 1200<<10)
	joined := f.join()
	before := f.net.snapshot()
	var sum Report
	for _, n := range f.nodes {
		if n.ID == joined {
			continue
		}
		f.net.mu.Lock()
		f.net.down[joined], f.net.dieIn[joined] = false, 2 // answers the probe and one batch, then not
		f.net.mu.Unlock()
		r := f.repairer(n.ID, func(c *Config) { c.Batch = 1 })
		rep, err := r.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum.add(&rep)
	}
	if sum.Unbalanced == 0 {
		t.Fatalf("test setup: nothing unbalanced: %+v", sum)
	}
	// A put to the joined node after it stopped answering fails and abandons the move; one
	// while it still answered (a pass with too few batches to reach its end) is fine.
	if sum.RebalanceFailed != 0 {
		t.Fatalf("moves towards a node that stopped answering were tried: %+v", sum)
	}
	after := f.net.snapshot()
	for _, o := range f.cat.objects {
		for _, st := range o.Manifest.Stripes {
			for _, c := range st.Shards {
				if len(f.net.holders(c)) == 0 {
					t.Fatal("a shard was lost")
				}
			}
		}
	}
	if sum.Rebalanced == 0 && !maps.EqualFunc(before, after, func(a, b map[cid.Cid]string) bool { return reflect.DeepEqual(a, b) }) {
		t.Fatal("nothing rebalanced, yet the stores changed")
	}
}
