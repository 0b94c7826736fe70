package repair

import (
	"crypto/sha256"
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/placement"
)

// FuzzPlanStripe checks the planner's invariants (checkPlanInvariants) on arbitrary membership
// states and holder sets: byte i < 7 sets node i's state (active, draining, down, lost), the
// next five bytes are bitmasks of the nodes holding each shard.
func FuzzPlanStripe(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16})
	f.Add([]byte{1, 0, 2, 0, 3, 0, 0, 1, 3, 0, 8, 112})
	f.Add([]byte{0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		nodes := makeNodes(t, "a", "a", "b", "b", "c", "c", "c")
		var down, lost []string
		for i := range nodes {
			if i >= len(b) {
				break
			}
			switch b[i] % 4 {
			case 1:
				nodes[i].Active = false
			case 2:
				down = append(down, nodes[i].ID)
			case 3:
				lost = append(lost, nodes[i].ID)
			}
		}
		full, err := placement.NewPlan(nodes, pol32)
		if err != nil {
			t.Fatal(err)
		}
		unreachable := set(append(append([]string(nil), down...), lost...))
		holders := make([][]string, pol32.Shards())
		for s := range holders {
			if 7+s >= len(b) {
				break
			}
			for i, n := range nodes {
				if b[7+s]&(1<<i) != 0 && !unreachable[n.ID] {
					holders[s] = append(holders[s], n.ID)
				}
			}
		}
		pl := NewPlanner(full, down, lost)
		sp := pl.PlanStripe(sha256.Sum256(b), holders)
		checkPlanInvariants(t, full, down, lost, holders, &sp)
		checkRebalanceInvariants(t, full, unreachable, holders, pl.Rebalance(sha256.Sum256(b), holders), sha256.Sum256(b))
	})
}

// checkRebalanceInvariants: moves only for stripes with every shard held and none on a
// draining node; each moves a shard from a node holding it to its Place holder, which is
// active, reachable and does not hold it yet.
func checkRebalanceInvariants(t *testing.T, full *placement.Plan, unreachable map[string]bool, holders [][]string, moves []Move, key [32]byte) {
	t.Helper()
	if len(moves) == 0 {
		return
	}
	ideal, err := full.Place(key)
	if err != nil {
		t.Fatalf("moves %+v though placement cannot place: %v", moves, err)
	}
	active := map[string]bool{}
	for _, n := range full.Ranked(key) {
		active[n.ID] = n.Active
	}
	for i := range full.Policy().Shards() {
		hs := at(holders, i)
		if len(hs) == 0 {
			t.Fatalf("moves %+v though shard %d is missing", moves, i)
		}
		for _, h := range hs {
			if !active[h] {
				t.Fatalf("moves %+v though shard %d is on draining %s", moves, i, h)
			}
		}
	}
	for _, mv := range moves {
		hs := at(holders, mv.Shard)
		if mv.To != ideal[mv.Shard] || !active[mv.To] || unreachable[mv.To] || slices.Contains(hs, mv.To) || !slices.Contains(hs, mv.From) {
			t.Fatalf("bad move %+v (holders %v, ideal %s)", mv, hs, ideal[mv.Shard])
		}
	}
}
