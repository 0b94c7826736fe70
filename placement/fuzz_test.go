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

// FuzzDetourAudit places a stripe on a federation built from bytes, fails the holders the
// bytes pick, detours each within the constraints (as publish does) and checks that Audit
// finds nothing wrong with the result; then Audit must not panic on holders the bytes make up
// (unknown IDs, copies, missing shards: verify reads holders from the network).
func FuzzDetourAudit(f *testing.F) {
	f.Add([]byte{1, 2, 1, 0, 0, 1, 1, 1, 1, 2, 2, 1, 3, 3, 1, 0, 1, 1, 1, 2, 1}, uint64(5), []byte{0, 3})
	f.Add([]byte{3, 1, 0, 0, 0, 3, 1, 1, 3, 2, 2, 3, 3, 3, 3}, uint64(1), []byte{1, 1, 2, 9})
	f.Fuzz(func(t *testing.T, data []byte, stripe uint64, fail []byte) {
		if len(data) < 3 || len(data) > 3+3*20 || len(fail) > 16 {
			return
		}
		p := Policy{K: 1 + int(data[0]%4), M: int(data[1] % 4), Jurisdiction: data[2]&1 != 0}
		var nodes []Node
		for i, b := 0, data[3:]; len(b) >= 3; i, b = i+1, b[3:] {
			nodes = append(nodes, Node{ID: peerID(t, string(rune('A'+i))), Member: string("abcd"[b[0]%4]),
				Region: []string{"JP", "TW", "KR", "FR"}[b[1]%4], Active: b[2]&1 != 0, FreeBytes: 1})
		}
		pl, err := NewPlan(nodes, p)
		if err != nil {
			return
		}
		k := key(int(stripe))
		assign, err := pl.Place(k)
		if err != nil {
			return
		}
		var tried []string
		for _, f := range fail {
			s := int(f) % len(assign)
			if assign[s] == "" {
				continue
			}
			tried = append(tried, assign[s])
			next, err := pl.Without(tried...).Detour(k, assign, s)
			if err != nil && !errs.Is(err, errs.Unavailable) {
				t.Fatalf("Detour: %v", err)
			}
			assign[s] = next
		}
		holders := make([][]string, len(assign))
		for i, id := range assign {
			if id != "" {
				holders[i] = []string{id}
			}
		}
		if bad := pl.Audit(holders); len(bad) > 0 {
			t.Fatalf("after detours %v: %v", assign, bad)
		}
		for i, f := range fail {
			holders[i%len(holders)] = append(holders[i%len(holders)], peerID(t, string(rune('A'+int(f)%40))))
		}
		_ = pl.Audit(holders)
	})
}
