package placement

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/meridian-fed/meridian/errs"
)

func TestPlaceTable(t *testing.T) {
	inactive := func(ns []Node, i int) []Node { ns[i].Active = false; return ns }
	full := func(ns []Node, i int) []Node { ns[i].FreeBytes = 0; return ns }
	tests := []struct {
		name       string
		nodes      []Node
		p          Policy
		kind       errs.Kind // expected error kind; Other: success
		msg        string    // substring of the error
		memberMax  int       // most shards any member may hold (0: skip)
		regionMax  int       // most shards any region may hold (0: skip)
		notMembers []string  // members that must hold nothing
		notNodes   []int     // node indices that must hold nothing
		stripe     int       // which key to place
	}{
		{name: "5 nodes in 3 members", nodes: makeNodes(t, "a", "a/JP", "a/JP", "b/TW", "b/TW", "c/KR"),
			p: Policy{K: 3, M: 2}, memberMax: 2},
		{name: "9 nodes in 3 members 4+2", nodes: makeNodes(t, "b", "a", "a", "a", "b", "b", "b", "c", "c", "c"),
			p: Policy{K: 4, M: 2}, memberMax: 2},
		{name: "uneven members raise the cap", nodes: makeNodes(t, "c", "a", "a", "a", "a", "b", "c"),
			p: Policy{K: 3, M: 2}, memberMax: 3},
		{name: "excluded member", nodes: makeNodes(t, "d", "a", "a", "b", "b", "c", "c"),
			p: Policy{K: 2, M: 2, ExcludedMembers: []string{"c"}}, notMembers: []string{"c"}, memberMax: 2},
		{name: "allowed regions", nodes: makeNodes(t, "e", "a/JP", "b/JP", "c/TW", "d/TW", "e/US", "f/US"),
			p: Policy{K: 2, M: 2, AllowedRegions: []string{"JP", "TW"}}, notMembers: []string{"e", "f"}},
		{name: "inactive and full nodes skipped",
			nodes: full(inactive(makeNodes(t, "f", "a", "b", "c", "d", "e", "f"), 1), 3),
			p:     Policy{K: 2, M: 2}, notNodes: []int{1, 3}},
		{name: "too few nodes", nodes: makeNodes(t, "g", "a", "b", "c", "d"),
			p: Policy{K: 3, M: 2}, kind: errs.Unavailable, msg: "need 5 eligible nodes"},
		{name: "too few after filtering", nodes: inactive(makeNodes(t, "h", "a", "b", "c", "d", "e"), 0),
			p: Policy{K: 3, M: 2}, kind: errs.Unavailable, msg: "1 inactive"},
		{name: "invalid policy", nodes: makeNodes(t, "i", "a", "b"), p: Policy{K: 0, M: 1},
			kind: errs.Invalid, msg: "k ≥ 1"},
		{name: "jurisdiction spreads over regions",
			nodes: makeNodes(t, "j", "a/JP", "b/JP", "c/JP", "d/TW", "e/TW", "f/TW", "g/KR", "h/KR", "i/KR"),
			p:     Policy{K: 3, M: 2, Jurisdiction: true}, regionMax: 2},
		{name: "jurisdiction with too few regions",
			nodes: makeNodes(t, "k", "a/JP", "b/JP", "c/JP", "d/TW", "e/TW", "f/TW"),
			p:     Policy{K: 3, M: 2, Jurisdiction: true}, kind: errs.Unavailable, msg: "JP:3 TW:3"},
		{name: "jurisdiction ignores nodes without a region",
			nodes: makeNodes(t, "m", "a/JP", "b/JP", "c/TW", "d/TW", "e", "f", "g"),
			p:     Policy{K: 3, M: 2, Jurisdiction: true}, kind: errs.Unavailable, msg: "3 not allowed by the policy"},
		// Members span regions here: taking nodes greedily in rank order gets stuck for this
		// key (member a and region KR fill up first); the max-flow fallback still places it.
		{name: "jurisdiction with members spanning regions",
			nodes: makeNodes(t, "g", "a/TW", "b/KR", "a/KR", "c/TW", "a/TW", "a/KR", "b/JP"),
			p:     Policy{K: 3, M: 2, Jurisdiction: true}, memberMax: 2, regionMax: 2, stripe: 0},
		{name: "jurisdiction needs k ≥ 2", nodes: makeNodes(t, "l", "a/JP", "b/TW"),
			p: Policy{K: 1, M: 1, Jurisdiction: true}, kind: errs.Invalid, msg: "k ≥ 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Place(key(tc.stripe), tc.nodes, tc.p)
			if tc.kind != errs.Other {
				if !errs.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %v, want kind %v containing %q", err, tc.kind, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkAssignment(t, got, tc.nodes, tc.p)
			perMember, perRegion := tally(got, tc.nodes)
			for m, c := range perMember {
				if tc.memberMax > 0 && c > tc.memberMax {
					t.Errorf("member %s holds %d shards, want ≤ %d: %v", m, c, tc.memberMax, got)
				}
				if slices.Contains(tc.notMembers, m) {
					t.Errorf("member %s holds %d shards, want none", m, c)
				}
			}
			for r, c := range perRegion {
				if tc.regionMax > 0 && c > tc.regionMax {
					t.Errorf("region %s holds %d shards, want ≤ %d", r, c, tc.regionMax)
				}
			}
			for _, i := range tc.notNodes {
				if slices.Contains(got, tc.nodes[i].ID) {
					t.Errorf("node %d holds a shard, want none", i)
				}
			}
		})
	}
}

// checkAssignment fails unless got has k+m distinct holders that Check accepts.
func checkAssignment(t *testing.T, got []string, nodes []Node, p Policy) {
	t.Helper()
	if len(got) != p.Shards() {
		t.Fatalf("got %d holders, want %d", len(got), p.Shards())
	}
	ids := slices.Clone(got)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(got) {
		t.Fatalf("holders not distinct: %v", got)
	}
	bad, err := Check(got, nodes, p)
	if err != nil || len(bad) != 0 {
		t.Fatalf("Check(Place) = %v, %v; want no misplaced shards", bad, err)
	}
}

// tally counts shards per member and per region.
func tally(got []string, nodes []Node) (perMember, perRegion map[string]int) {
	perMember, perRegion = map[string]int{}, map[string]int{}
	for _, id := range got {
		for _, n := range nodes {
			if n.ID == id {
				perMember[n.Member]++
				perRegion[n.Region]++
			}
		}
	}
	return perMember, perRegion
}

func TestNewPlanRejectsBadNodes(t *testing.T) {
	nodes := makeNodes(t, "r", "a", "b", "c")
	bad := append(slices.Clone(nodes), Node{ID: "not-a-peer-id", Member: "d", Active: true, FreeBytes: 1})
	if _, err := NewPlan(bad, Policy{K: 2, M: 1}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "not a libp2p peer ID") {
		t.Fatalf("bad ID: err = %v, want Invalid naming the ID", err)
	}
	dup := append(slices.Clone(nodes), nodes[0])
	if _, err := NewPlan(dup, Policy{K: 2, M: 1}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "same peer ID") {
		t.Fatalf("duplicate: err = %v, want Invalid", err)
	}
}

func TestPlaceIndependentOfInputOrder(t *testing.T) {
	nodes := makeNodes(t, "o", "a/JP", "a/JP", "b/TW", "b/TW", "c/KR", "c/KR", "d/US", "e/US")
	p := Policy{K: 4, M: 3}
	rng := rand.New(rand.NewPCG(1, 2))
	for s := range 200 {
		want, err := Place(key(s), nodes, p)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := slices.Clone(nodes)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := Place(key(s), shuffled, p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("stripe %d: shuffled input gave %v, want %v", s, got, want)
		}
	}
}

func TestRankedOrder(t *testing.T) {
	nodes := makeNodes(t, "x", "a", "b", "c", "d", "e", "f", "g")
	nodes[2].Active = false
	k := key(3)
	ranked, err := Ranked(k, nodes, Policy{K: 2, M: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ranked) != len(nodes) {
		t.Fatalf("Ranked returned %d nodes, want all %d", len(ranked), len(nodes))
	}
	for i := 1; i < len(ranked); i++ {
		a, b := score(t, k, ranked[i-1].ID), score(t, k, ranked[i].ID)
		if bytes.Compare(a[:], b[:]) >= 0 {
			t.Fatalf("Ranked[%d] does not score below Ranked[%d]", i-1, i)
		}
	}
	// With no caps in play the holders are exactly the first k+m eligible ranked nodes.
	got, _ := Place(k, nodes, Policy{K: 2, M: 1})
	var want []string
	for _, n := range ranked {
		if n.Active && len(want) < 3 {
			want = append(want, n.ID)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("holders %v, want the first three active ranked nodes %v", got, want)
	}
}

// score recomputes sha256(key XOR sha256(peer ID bytes)) independently of the package.
func score(t *testing.T, key [32]byte, id string) [32]byte {
	t.Helper()
	pid, err := peer.Decode(id)
	if err != nil {
		t.Fatal(err)
	}
	pt := sha256.Sum256([]byte(pid))
	var d [32]byte
	for i := range d {
		d[i] = key[i] ^ pt[i]
	}
	return sha256.Sum256(d[:])
}

// TestFallbackWhenGreedyStuck pins a membership where greedy selection fails for key(0), so the
// table case "jurisdiction with members spanning regions" really exercises the fallback.
func TestFallbackWhenGreedyStuck(t *testing.T) {
	nodes := makeNodes(t, "g", "a/TW", "b/KR", "a/KR", "c/TW", "a/TW", "a/KR", "b/JP")
	pl, err := NewPlan(nodes, Policy{K: 3, M: 2, Jurisdiction: true})
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	for _, r := range pl.rank(key(0), pl.eligible) {
		order = append(order, r.i)
	}
	if _, ok := pl.greedy(order, nil, pl.policy.Shards()); ok {
		t.Fatal("greedy placed key(0); pick a membership where it gets stuck")
	}
	if _, ok := pl.careful(order, nil); !ok {
		t.Fatal("fallback failed where a placement exists")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		p   Policy
		msg string // "" valid
	}{
		{Policy{K: 3, M: 2}, ""},
		{Policy{K: 1, M: 0}, ""},
		{Policy{K: 2, M: 1, Jurisdiction: true, AllowedRegions: []string{"JP", "TW"}}, ""},
		{Policy{K: 0, M: 2}, "k ≥ 1"},
		{Policy{K: 3, M: -1}, "negative"},
		{Policy{K: 200, M: 57}, "at most 256"},
		{Policy{K: 1, M: 2, Jurisdiction: true}, "k ≥ 2 and m ≥ 1"},
		{Policy{K: 3, M: 0, Jurisdiction: true}, "k ≥ 2 and m ≥ 1"},
		{Policy{K: 3, M: 2, AllowedRegions: []string{"JP", "JP"}}, `"JP" listed twice`},
		{Policy{K: 3, M: 2, ExcludedMembers: []string{""}}, "empty excluded member"},
	} {
		err := tc.p.Validate()
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%+v: %v, want valid", tc.p, err)
			}
			continue
		}
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: err = %v, want Invalid containing %q", tc.p, err, tc.msg)
		}
	}
}
