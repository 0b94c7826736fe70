package repair

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/placement"
)

// joinKey returns a key whose placement over the seven nodes differs from its placement over
// the first six, and both placements.
func joinKey(t *testing.T, nodes []placement.Node) (key [32]byte, before, after []string) {
	t.Helper()
	six, err := placement.NewPlan(nodes[:6], pol32)
	if err != nil {
		t.Fatal(err)
	}
	seven, err := placement.NewPlan(nodes, pol32)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		key = sha256.Sum256(fmt.Appendf(nil, "join %d", i))
		before, _ = six.Place(key)
		after, _ = seven.Place(key)
		if !slices.Equal(before, after) {
			return key, before, after
		}
	}
	t.Fatal("no key places differently after the join")
	return key, nil, nil
}

func TestRebalance(t *testing.T) {
	nodes := makeNodes(t, "a", "a", "b", "b", "c", "c", "c")
	key, before, after := joinKey(t, nodes)
	var differ []int // shards whose ideal holder changed with the join
	for i := range after {
		if before[i] != after[i] {
			differ = append(differ, i)
		}
	}
	joined := nodes[6].ID
	cases := []struct {
		name        string
		drain       string // node made draining
		down, lost  []string
		holders     func() [][]string
		wantShards  []int // shards moved, each from before[i] to after[i]
		wantNothing bool
	}{
		{name: "balanced: nothing moves", holders: func() [][]string { return one(after) }, wantNothing: true},
		{name: "after a join: the shards placement moved", holders: func() [][]string { return one(before) }, wantShards: differ},
		{name: "a shard missing: repair first", wantNothing: true,
			holders: func() [][]string { h := one(before); h[0] = nil; return h }},
		{name: "a copy on a draining node: drain first", drain: before[0], wantNothing: true,
			holders: func() [][]string { return one(before) }},
		// With the joined node down, its shard stays on its old holder, which is the ideal holder
		// of the other moved shard: moving only that one would put two shards on one node, so
		// rebalancing waits (it used to move it).
		{name: "ideal holder down: a partial move that breaks a constraint waits", down: []string{joined},
			holders: func() [][]string { return one(before) }, wantNothing: true},
		{name: "ideal holder lost: a partial move that breaks a constraint waits", lost: []string{joined},
			holders: func() [][]string { return one(before) }, wantNothing: true},
		{name: "shard already on its ideal holder (and a surplus copy) is left alone",
			holders: func() [][]string {
				h := one(before)
				for _, i := range differ {
					h[i] = []string{before[i], after[i]}
				}
				return h
			}, wantNothing: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := slices.Clone(nodes)
			for i := range ns {
				if ns[i].ID == tc.drain {
					ns[i].Active = false
				}
			}
			full, err := placement.NewPlan(ns, pol32)
			if err != nil {
				t.Fatal(err)
			}
			holders := tc.holders()
			moves := NewPlanner(full, tc.down, tc.lost).Rebalance(key, holders)
			if tc.wantNothing {
				if len(moves) != 0 {
					t.Fatalf("moves = %+v, want none", moves)
				}
				return
			}
			if got := shardsOf(moves); !slices.Equal(got, tc.wantShards) {
				t.Fatalf("moved shards %v, want %v (%+v)", got, tc.wantShards, moves)
			}
			ideal, _ := full.Place(key)
			for _, mv := range moves {
				if mv.To != ideal[mv.Shard] || mv.From != before[mv.Shard] || !slices.Contains(holders[mv.Shard], mv.From) {
					t.Errorf("move %+v: want %s → %s", mv, before[mv.Shard], ideal[mv.Shard])
				}
				if slices.Contains(tc.down, mv.To) || slices.Contains(tc.lost, mv.To) {
					t.Errorf("move %+v targets an unreachable node", mv)
				}
			}
		})
	}
	if !slices.Contains(after, joined) {
		t.Fatalf("the joined node holds nothing of the chosen key's stripe: %v", after)
	}
}
