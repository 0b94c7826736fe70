package node

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/meridian-fed/meridian/placement"
)

// TestStripeDetoursKeepCaps: the holders of several shards of one stripe fail at once and their
// goroutines detour in parallel (as storeStripe runs them); the detours are chosen one at a time
// from the other holders, so together they never put a member over its cap. Issue 11's
// federation with JP down and a plain 3+2 policy: TW and FR take two shards each, the JP shards
// that do not fit stay missing.
func TestStripeDetoursKeepCaps(t *testing.T) {
	specs := []struct{ member, region string }{{"tw", "TW"}, {"tw", "TW"}, {"tw", "TW"}, {"jp", "JP"}, {"jp", "JP"}, {"fr", "FR"}, {"fr", "FR"}}
	var nodes []placement.Node
	for i, s := range specs {
		nodes = append(nodes, placement.Node{ID: testPeer(t, fmt.Sprintf("detour-%d", i)), Member: s.member, Region: s.region, Active: true, FreeBytes: 1 << 40})
	}
	jp := func(id string) bool { return id == nodes[3].ID || id == nodes[4].ID }
	plan, err := placement.NewPlan(nodes, placement.Policy{K: 3, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for s := range 200 {
		key := sha256.Sum256(fmt.Appendf(nil, "stripe %d", s))
		holders, err := plan.Place(key)
		if err != nil {
			t.Fatal(err)
		}
		sh := &stripeHolders{plan: plan, key: key, assign: holders}
		var wg sync.WaitGroup
		for i, h := range slices.Clone(holders) {
			if !jp(h) {
				continue
			}
			tested++
			wg.Go(func() {
				for target := h; target != "" && jp(target); {
					target, _ = sh.detour(i, target)
				}
			})
		}
		wg.Wait()
		layout, tried := sh.layout()
		found := make([][]string, len(layout))
		for i, id := range layout {
			if id != "" {
				found[i] = []string{id}
			}
		}
		if bad := plan.Audit(found); len(bad) > 0 || slices.ContainsFunc(layout, jp) {
			t.Fatalf("stripe %d: layout %v (tried %v): %v", s, layout, tried, bad)
		}
	}
	if tested == 0 {
		t.Fatal("no stripe had a JP holder: the test proves nothing")
	}
}
