package testnet

import (
	"fmt"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

// TestVoterPlanKeepsTheCap plays every testnet shape's bring-up against the catalog's voter
// cap: with three members or more no member may hold half or more of the voters, checked
// when a member is admitted (with its first node's voter) and when a voter registers. The
// 7-node residency testnet failed its start when m1 took a third voter before m3 came.
func TestVoterPlanKeepsTheCap(t *testing.T) {
	for members := 1; members <= 5; members++ {
		for nodes := members; nodes <= 12; nodes++ {
			var reg []api.NodeInfo
			voters := map[string]int{}
			present := map[string]bool{}
			total := 0
			for _, i := range joinOrder(nodes, members) {
				m := MemberOf(i, members)
				v := voterFor(i, nodes, members, reg, m)
				if i == 0 {
					v = true // the bootstrap node
				}
				present[m] = true
				if v {
					voters[m]++
					total++
				}
				if len(present) >= 3 {
					for x, n := range voters {
						if 2*n >= total {
							t.Fatalf("%d nodes, %d members: after node %d (%s, voter %v) %s holds %d of %d voters", nodes, members, i, m, v, x, n, total)
						}
					}
				}
				reg = append(reg, api.NodeInfo{PeerID: fmt.Sprint(i), Member: m, Voter: v, State: "active"})
			}
			if nodes == 5 && members == 3 && total != 5 {
				t.Errorf("the default testnet has %d voters, want 5 (2, 2, 1)", total)
			}
		}
	}
}
