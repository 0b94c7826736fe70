package placement

import (
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// FuzzPlace builds a federation from bytes (and one node ID as given, since node IDs come from
// outside) and checks Place's invariants: it is deterministic under reordering, its answer
// passes Check, and jurisdiction mode never lets a region reconstruct a stripe alone.
func FuzzPlace(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 0, 3, 1, 1, 3, 2, 2, 3, 3, 3, 3, 0, 1, 3}, "", uint64(1))
	f.Add([]byte{3, 2, 1, 0, 0, 3, 1, 1, 3, 2, 2, 3, 3, 3, 3, 0, 1, 3, 1, 2, 3}, "QmYqmp3cM3oVuk59FguVT11wNNA2WUitaPK3cKcaDpUsJ1", uint64(2))
	f.Add([]byte{2, 1, 6, 1, 0, 3, 2, 1, 3}, "12D3KooW", uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, rawID string, stripe uint64) {
		if len(data) < 3 || len(data) > 3+3*40 {
			return
		}
		p := Policy{K: 1 + int(data[0]%6), M: int(data[1] % 5), Jurisdiction: data[2]&1 != 0}
		if data[2]&2 != 0 {
			p.ExcludedMembers = []string{"a"}
		}
		if data[2]&4 != 0 {
			p.AllowedRegions = []string{"JP", "TW", "KR"}
		}
		var nodes []Node
		for i, b := 0, data[3:]; len(b) >= 3; i, b = i+1, b[3:] {
			nodes = append(nodes, Node{ID: peerID(t, string(rune('A'+i))),
				Member: string("abcd"[b[0]%4]), Region: []string{"JP", "TW", "KR", ""}[b[1]%4],
				Active: b[2]&1 != 0, FreeBytes: int64(b[2] & 2)})
		}
		if rawID != "" {
			nodes = append(nodes, Node{ID: rawID, Member: "z", Region: "US", Active: true, FreeBytes: 1})
		}
		k := key(int(stripe))
		pl, err := NewPlan(nodes, p)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("NewPlan: %v, want Invalid or success", err)
			}
			return
		}
		got, err := pl.Place(k)
		if err != nil {
			if !errs.Is(err, errs.Unavailable) {
				t.Fatalf("Place: %v, want Unavailable or success", err)
			}
			return
		}
		checkAssignment(t, got, nodes, p)
		reversed := slices.Clone(nodes)
		slices.Reverse(reversed)
		if again, err := Place(k, reversed, p); err != nil || !slices.Equal(again, got) {
			t.Fatalf("reversed input: %v, %v; want %v", again, err, got)
		}
		if p.Jurisdiction {
			_, perRegion := tally(got, nodes)
			for r, c := range perRegion {
				if c >= p.K || p.Shards()-c < p.K {
					t.Fatalf("region %q holds %d of %d shards with k=%d", r, c, p.Shards(), p.K)
				}
			}
		}
	})
}
