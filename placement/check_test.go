package placement

import (
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestCheckReasons(t *testing.T) {
	nodes := makeNodes(t, "c", "a/JP", "a/JP", "a/JP", "b/TW", "b/TW", "c/KR", "d/KR", "e/US", "f/US")
	nodes[3].Active = false // b, inactive
	nodes[6].FreeBytes = 0  // d, full: still a valid holder
	id := func(i int) string { return nodes[i].ID }
	p := Policy{K: 3, M: 2, ExcludedMembers: []string{"e"}}
	tests := []struct {
		name       string
		assignment []string
		want       []Misplaced
	}{
		{"all good, full node included", []string{id(0), id(1), id(4), id(5), id(6)}, nil},
		{"missing", []string{id(0), "", id(4), id(5), id(6)}, []Misplaced{{1, "", Missing}}},
		{"unknown", []string{id(0), peerID(t, "stranger"), id(4), id(5), id(6)},
			[]Misplaced{{1, peerID(t, "stranger"), Unknown}}},
		{"inactive", []string{id(0), id(3), id(4), id(5), id(6)}, []Misplaced{{1, id(3), Inactive}}},
		{"excluded member", []string{id(0), id(7), id(4), id(5), id(6)}, []Misplaced{{1, id(7), Disallowed}}},
		{"duplicate keeps the first", []string{id(0), id(4), id(4), id(5), id(6)}, []Misplaced{{2, id(4), Duplicate}}},
		{"member over cap keeps the earlier", []string{id(0), id(1), id(2), id(5), id(6)},
			[]Misplaced{{2, id(2), MemberOver}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Check(tc.assignment, nodes, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Check = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Check([]string{id(0)}, nodes, p); !errs.Is(err, errs.Invalid) {
		t.Fatalf("short assignment: err = %v, want Invalid", err)
	}
}

func TestCheckRegionCap(t *testing.T) {
	nodes := makeNodes(t, "cr", "a/JP", "b/JP", "c/JP", "d/TW", "e/TW", "f/KR", "g/KR")
	p := Policy{K: 3, M: 2, Jurisdiction: true}
	a := []string{nodes[0].ID, nodes[1].ID, nodes[2].ID, nodes[3].ID, nodes[5].ID}
	got, err := Check(a, nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Misplaced{{2, nodes[2].ID, RegionOver}}; !slices.Equal(got, want) {
		t.Fatalf("Check = %v, want %v (JP may hold min(k-1, m)=2)", got, want)
	}
}

func TestRepair(t *testing.T) {
	nodes := makeNodes(t, "rp", "a/JP", "a/JP", "a/JP", "b/TW", "b/TW", "b/TW", "c/KR", "c/KR", "c/KR")
	p := Policy{K: 4, M: 2}
	pl, err := NewPlan(nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 200 {
		k := key(s)
		orig, err := pl.Place(k)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := pl.Repair(k, orig); err != nil || !slices.Equal(again, orig) {
			t.Fatalf("stripe %d: repairing a good assignment gave %v, %v; want it unchanged", s, again, err)
		}
		if fresh, _ := pl.Repair(k, nil); !slices.Equal(fresh, orig) {
			t.Fatalf("stripe %d: Repair(nil) = %v, want Place's %v", s, fresh, orig)
		}
		// The holder of shard s%6 goes inactive: only that shard may move.
		lost := orig[s%6]
		after := slices.Clone(nodes)
		for i := range after {
			if after[i].ID == lost {
				after[i].Active = false
			}
		}
		pl2, err := NewPlan(after, p)
		if err != nil {
			t.Fatal(err)
		}
		fixed, err := pl2.Repair(k, orig)
		if err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			if (i == s%6) == (fixed[i] == orig[i]) {
				t.Fatalf("stripe %d: lost shard %d; repair %v from %v moved the wrong shards", s, s%6, fixed, orig)
			}
		}
		checkAssignment(t, fixed, after, p)
	}
}

func TestRepairOverCap(t *testing.T) {
	nodes := makeNodes(t, "ro", "a", "a", "a", "b", "b", "c", "c")
	p := Policy{K: 3, M: 2}
	bad := []string{nodes[0].ID, nodes[1].ID, nodes[2].ID, nodes[3].ID, nodes[5].ID}
	fixed, err := Repair(key(1), bad, nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fixed[:2], bad[:2]) || !slices.Equal(fixed[3:], bad[3:]) || fixed[2] == bad[2] {
		t.Fatalf("Repair(%v) = %v: want only shard 2 (member a's third) moved", bad, fixed)
	}
	checkAssignment(t, fixed, nodes, p)
}

func TestMemberCap(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  int
	}{
		{[]string{"a", "a", "b", "b", "c"}, 2},
		{[]string{"a", "a", "a", "a", "b", "c"}, 3},
		{[]string{"a", "b", "c", "d", "e", "f"}, 1},
		{[]string{"a", "a", "a", "a", "a"}, 5},
	} {
		pl, err := NewPlan(makeNodes(t, "mc", tc.specs...), Policy{K: 3, M: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := pl.MemberCap(); got != tc.want {
			t.Errorf("members %v: MemberCap = %d, want %d", tc.specs, got, tc.want)
		}
	}
}

// TestRepairWithFullHolders: fewer eligible nodes than shards (one holder is full, one gone), so
// Place refuses, but repair keeps the full holder's shard and moves only the lost one.
func TestRepairWithFullHolders(t *testing.T) {
	nodes := makeNodes(t, "fh", "a", "a", "b", "b", "c", "c")
	p := Policy{K: 3, M: 2}
	orig, err := Place(key(5), nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	spare := ""
	for _, n := range nodes {
		if !slices.Contains(orig, n.ID) {
			spare = n.ID
		}
	}
	after := slices.Clone(nodes)
	for i := range after {
		switch after[i].ID {
		case orig[0]:
			after[i].FreeBytes = 0
		case orig[1]:
			after[i].Active = false
		}
	}
	pl, err := NewPlan(after, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Place(key(5)); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Place with 4 eligible nodes: err = %v, want Unavailable", err)
	}
	fixed, err := pl.Repair(key(5), orig)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(orig)
	want[1] = spare
	if !slices.Equal(fixed, want) {
		t.Fatalf("Repair = %v, want %v (only shard 1 moves, to the spare node)", fixed, want)
	}
	checkAssignment(t, fixed, after, p)
	// With the spare gone too, nothing can take shard 1.
	if _, err := pl.Without(spare).Repair(key(5), orig); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Repair without a spare: err = %v, want Unavailable", err)
	}
}

func TestWithout(t *testing.T) {
	nodes := makeNodes(t, "wo", "a", "a", "b", "b", "c", "c", "d", "d")
	p := Policy{K: 3, M: 2}
	pl, err := NewPlan(nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 100 {
		orig, err := pl.Place(key(s))
		if err != nil {
			t.Fatal(err)
		}
		// The holder of shard 2 does not answer: the derived plan must agree with a plan
		// built from scratch with that node inactive, and must not touch pl.
		after := slices.Clone(nodes)
		for i := range after {
			if after[i].ID == orig[2] {
				after[i].Active = false
			}
		}
		fresh, err := NewPlan(after, p)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := pl.Without(orig[2], "unknown-id").Repair(key(s), orig)
		b, errB := fresh.Repair(key(s), orig)
		if errA != nil || errB != nil || !slices.Equal(a, b) {
			t.Fatalf("stripe %d: Without gave %v, %v; fresh plan %v, %v", s, a, errA, b, errB)
		}
		if slices.Contains(a, orig[2]) {
			t.Fatalf("stripe %d: repair kept the excluded node: %v", s, a)
		}
		if again, _ := pl.Place(key(s)); !slices.Equal(again, orig) {
			t.Fatalf("stripe %d: Without changed the original plan", s)
		}
	}
}
