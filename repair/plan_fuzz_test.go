package repair

import (
	"crypto/sha256"
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
		sp := NewPlanner(full, down, lost).PlanStripe(sha256.Sum256(b), holders)
		checkPlanInvariants(t, full, down, lost, holders, &sp)
	})
}
