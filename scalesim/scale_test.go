package scalesim

import (
	"context"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// small is a federation small enough for a unit test: 32 nodes, 8 members, 4 regions (10+4
// in jurisdiction mode needs 4: at most 4 shards of a stripe per region).
var small = Shape{Nodes: 32, Members: 8, Regions: 4, Seed: 7}

func TestPlacementFiguresAreSane(t *testing.T) {
	r, err := Run(context.Background(), Options{Shape: small, Stripes: 3000, Trials: 4, SkipDHT: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range r.Balance {
		v := r.Joins[i].Variant
		// Rendezvous hashing gives each node a binomial share: at 500 (3+2) or 1400 (10+4)
		// shards per node the largest stays within a few standard deviations of the mean.
		if b.PerNode.MaxMean > 1.25 || b.PerNode.MinMean < 0.75 || b.PerNode.ZeroBinsCount > 0 {
			t.Errorf("%s: per-node spread %+v, want max/mean ≤ 1.25 and min/mean ≥ 0.75", v, b.PerNode)
		}
		if b.MaxPerMemberStripe > 2 { // ⌈14/8⌉ for 10+4, 1 for 3+2
			t.Errorf("%s: a member holds %d shards of one stripe", v, b.MaxPerMemberStripe)
		}
		checkChurn(t, DefaultVariants()[i].Policy, r.Joins[i], r.Leaves[i])
		checkRepair(t, r.Repair[i], 3000)
	}
	for i, v := range DefaultVariants() {
		if v.Policy.Jurisdiction && r.Balance[i].MaxPerRegionStripe > v.Policy.RegionCap() {
			t.Errorf("%s: a region holds %d shards of one stripe, cap %d", v.Name, r.Balance[i].MaxPerRegionStripe, v.Policy.RegionCap())
		}
	}
	if b := r.Balance[0]; b.MaxPerMemberStripe != 1 {
		t.Errorf("3+2 over 8 members: a member holds %d shards of one stripe, want 1", b.MaxPerMemberStripe)
	}
}

// checkChurn: a join or a leave moves a small multiple of the changed node's share, and
// repair after a leave moves that share only.
func checkChurn(t *testing.T, p placement.Policy, join, leave Churn) {
	t.Helper()
	limit := 2.4 // 3+2: a new holder takes its preferred shard index, displacing about one other
	if p.K == 10 {
		limit = 3.6
	}
	if join.Ratio < 0.9 || join.Ratio > limit {
		t.Errorf("%s: a join moves %.0f shards, %.2f× the ideal %.0f (want 0.9–%.1f)", join.Variant, join.Moved, join.Ratio, join.Ideal, limit)
	}
	if leave.Ratio < 0.9 || leave.Ratio > limit {
		t.Errorf("%s: a leave moves %.0f shards, %.2f× the ideal %.0f (want 0.9–%.1f)", leave.Variant, leave.Moved, leave.Ratio, leave.Ideal, limit)
	}
	if r := leave.RepairedRatio; r < 0.75 || r > 1.25 {
		t.Errorf("%s: repair after a leave moves %.0f shards, %.2f× the ideal %.0f (want about 1)", leave.Variant, leave.Repaired, r, leave.Ideal)
	}
}

func checkRepair(t *testing.T, r RepairLoad, stripes int) {
	t.Helper()
	if r.StripesLost != 0 || r.ExtraMoves != 0 {
		t.Errorf("%s: losing member %s lost %d stripes and moved %d healthy shards, want 0 and 0", r.Variant, r.Member, r.StripesLost, r.ExtraMoves)
	}
	if r.ShardsRebuilt != r.ShardsLost || r.StripesHit == 0 || r.StripesHit == stripes {
		t.Errorf("%s: %d shards rebuilt of %d lost, in %d stripes hit of %d: repair must rebuild exactly the lost shards", r.Variant, r.ShardsRebuilt, r.ShardsLost, r.StripesHit, stripes)
	}
	if r.TrafficBytes != int64(r.ShardsRebuilt*r.K)*r.ShardBytes {
		t.Errorf("%s: traffic %d is not rebuilt × k × shard", r.Variant, r.TrafficBytes)
	}
	if r.Rebuilders != small.Nodes-r.NodesLost || r.Inbound.MaxMean > 1.6 {
		t.Errorf("%s: %d rebuilders of %d survivors, inbound max/mean %.2f: repair must spread over every survivor", r.Variant, r.Rebuilders, small.Nodes-r.NodesLost, r.Inbound.MaxMean)
	}
}

func TestDHTFiguresAreSane(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a mocknet mesh")
	}
	f, err := NewFed(Shape{Nodes: 24, Members: 6, Regions: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := RunDHT(ctx, f, DHTOptions{Stripes: 30, Joins: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Provides != 150 || r.ProvideMessages < 1 || r.ProvideRecords < 1 {
		t.Errorf("provides: %d, %.1f requests and %.1f records each: every shard must be announced to other hosts", r.Provides, r.ProvideMessages, r.ProvideRecords)
	}
	if r.Moved == 0 || r.Lookup.Lookups != r.Moved || r.Lookup.Found != r.Moved || r.Lookup.Messages < 1 {
		t.Errorf("lookups %+v of %d moved shards: every moved shard must be found at its old holder through the DHT", r.Lookup, r.Moved)
	}
	if l := r.LookupFirst; l.Lookups != r.Moved || l.Found != r.Moved || l.Messages > r.Lookup.Messages {
		t.Errorf("first-provider lookups %+v: must find every moved shard with no more requests than full lookups (%.1f)", l, r.Lookup.Messages)
	}
	for name, rs := range map[string]ReadStats{"placed": r.PlacedReads, "ranked": r.RankedReads} {
		if rs.Reads != 30 || rs.Failed != 0 || rs.Requests < 3 {
			t.Errorf("%s reads: %+v, want 30 reads, none failed, at least k requests each", name, rs)
		}
	}
	// The fetcher starts a provider lookup when a holder answers "not here", at most once per
	// shard of a read, so the ranked list's guesses may cost lookups too, but never more than
	// the requests that met a miss.
	if rs := r.RankedReads; rs.Lookups > rs.Requests {
		t.Errorf("ranked reads: %.2f lookups for %.2f requests per read: at most one lookup per miss", rs.Lookups, rs.Requests)
	}
}

func TestBadShape(t *testing.T) {
	for _, s := range []Shape{{Nodes: 5, Members: 6, Regions: 3}, {Nodes: 10, Members: 2, Regions: 3}, {Nodes: 10}} {
		if _, err := NewFed(s); !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: err %v, want Invalid", s, err)
		}
	}
}

func TestSpreadAndMoved(t *testing.T) {
	s := SpreadOf([]float64{0, 2, 4})
	if s.Mean != 2 || s.MaxMean != 2 || s.MinMean != 0 || s.ZeroBinsCount != 1 {
		t.Errorf("SpreadOf: %+v", s)
	}
	a := Layout{Holders: [][]string{{"a", "b", "c"}, {"d", "e", "f"}}}
	b := Layout{Holders: [][]string{{"a", "c", "b"}, {"d", "e", "g"}}}
	if n := Moved(a, b); n != 3 {
		t.Errorf("Moved = %d, want 3", n)
	}
}

// TestDHTLatency checks the latency knob: no provide can finish before one round trip.
func TestDHTLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a mocknet mesh")
	}
	f, err := NewFed(Shape{Nodes: 12, Members: 4, Regions: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	const latency = 100 * time.Millisecond // far above what a 12-host provide costs without it
	r, err := RunDHT(context.Background(), f, DHTOptions{Stripes: 4, Joins: 1, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	if r.ProvideTime.N != 20 || r.ProvideTime.P50 < 2*latency || r.Latency != latency {
		t.Errorf("provides %+v with %v links: each needs at least one round trip", r.ProvideTime, r.Latency)
	}
}
