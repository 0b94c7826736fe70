package placement

import (
	"github.com/meridian-fed/meridian/errs"
)

// Place returns the holders of a stripe's k+m shards: element i is the peer ID of the node that
// holds shard i. The holders are the first eligible nodes in rank order of key that keep the caps
// (a node whose member or region already holds its cap of this stripe is skipped; a node holds
// at most one shard). Which holder takes which shard index: see assignSlots.
func (pl *Plan) Place(key [32]byte) ([]string, error) {
	return pl.Repair(key, nil)
}

// Repair returns a corrected assignment: the shards that Check finds well placed stay where they
// are and the others (missing, on unknown, inactive or disallowed nodes, or over a cap) move to
// the first nodes in rank order that keep the caps. A nil or empty assignment gives Place's
// answer. Only misplaced positions change, so repair moves as few shards as it can.
func (pl *Plan) Repair(key [32]byte, assignment []string) ([]string, error) {
	const op = "placement.Repair"
	if pl.err != nil && (!pl.short || len(assignment) == 0) {
		return nil, pl.err
	}
	n := pl.policy.Shards()
	out := make([]string, n)
	var kept []int
	if len(assignment) > 0 {
		bad, err := pl.Check(assignment)
		if err != nil {
			return nil, err
		}
		copy(out, assignment)
		kept = pl.keptEntries(bad, out)
	}
	ranked := pl.rank(key, pl.eligible)
	order := make([]int, len(ranked))
	for j, r := range ranked {
		order[j] = r.i
	}
	chosen, ok := pl.greedy(order, kept, n)
	if !ok {
		chosen, ok = pl.careful(order, kept)
	}
	if !ok && pl.short {
		return nil, pl.err
	}
	if !ok {
		return nil, errs.Errorf(op, errs.Unavailable,
			"cannot keep the %d well-placed shards and place the other %d within the caps (%d per member, %d per region): place the stripe anew (repair with an empty assignment)",
			len(kept), n-len(kept), pl.caps.member, pl.caps.region)
	}
	pl.assignSlots(ranked, chosen[len(kept):], out)
	return out, nil
}

// assignSlots gives each new holder, in rank order, a free shard index: its preferred index (the
// low word of its score mod k+m) or the next free one after it. Giving the i-th holder shard i
// instead would shift every later shard whenever a node enters the holder set, moving about
// (k+m+1)/2 shards where this moves about 2 (figures in docs/placement.md).
func (pl *Plan) assignSlots(ranked []scored, holders []int, out []string) {
	n := uint64(len(out))
	j := 0
	for _, i := range holders { // holders come in rank order
		for ranked[j].i != i {
			j++
		}
		s := ranked[j].score[3] % n
		for out[s] != "" {
			s = (s + 1) % n
		}
		out[s] = pl.entries[i].node.ID
	}
}

// keptEntries clears the misplaced positions of out and returns the entries of the others.
func (pl *Plan) keptEntries(bad []Misplaced, out []string) []int {
	for _, b := range bad {
		out[b.Shard] = ""
	}
	var kept []int
	for _, id := range out {
		if id != "" {
			kept = append(kept, pl.byID[id])
		}
	}
	return kept
}

// greedy takes nodes in order while their member and region are under the caps, until n are
// chosen (kept first). For a membership where each member sits in one region (the usual case)
// the caps form a laminar matroid and greedy finds a full placement whenever one exists. Place,
// Repair and Detour all choose through it.
func (pl *Plan) greedy(order, kept []int, n int) ([]int, bool) {
	chosen := append(make([]int, 0, n), kept...)
	var mbuf, rbuf [16]int
	mc, rc := counts(mbuf[:0], pl.caps.members), counts(rbuf[:0], pl.caps.regions)
	for _, i := range kept {
		mc[pl.entries[i].member]++
		rc[pl.entries[i].region]++
	}
	for _, i := range order {
		if len(chosen) == n {
			break
		}
		e := &pl.entries[i]
		if mc[e.member] >= pl.caps.member || rc[e.region] >= pl.caps.region || contains(kept, i) {
			continue
		}
		mc[e.member]++
		rc[e.region]++
		chosen = append(chosen, i)
	}
	return chosen, len(chosen) == n
}

func counts(buf []int, n int) []int {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]int, n)
}

// careful is the fallback when greedy gets stuck (members spanning regions in jurisdiction
// mode): it takes each node in order only if the rest can still be completed, checked by max
// flow, so it returns the first placement in rank order that exists, if any.
func (pl *Plan) careful(order, kept []int) ([]int, bool) {
	n := pl.policy.Shards()
	chosen := append(make([]int, 0, n), kept...)
	if !pl.feasible(pl.caps, order, chosen) {
		return nil, false
	}
	for at, i := range order {
		if len(chosen) == n {
			break
		}
		if contains(chosen, i) {
			continue
		}
		chosen = append(chosen, i)
		if !pl.withinCaps(chosen) || !pl.feasible(pl.caps, order[at+1:], chosen) {
			chosen = chosen[:len(chosen)-1]
		}
	}
	return chosen, len(chosen) == n
}

func (pl *Plan) withinCaps(chosen []int) bool {
	mc, rc := make([]int, pl.caps.members), make([]int, pl.caps.regions)
	for _, i := range chosen {
		mc[pl.entries[i].member]++
		rc[pl.entries[i].region]++
		if mc[pl.entries[i].member] > pl.caps.member || rc[pl.entries[i].region] > pl.caps.region {
			return false
		}
	}
	return true
}

// Place is NewPlan(nodes, p).Place(key), for a single stripe. Callers placing many stripes under
// the same membership should build the Plan once.
func Place(key [32]byte, nodes []Node, p Policy) ([]string, error) {
	pl, err := NewPlan(nodes, p)
	if err != nil {
		return nil, err
	}
	return pl.Place(key)
}

// Ranked is NewPlan(nodes, p).Ranked(key): every node in rank order for key.
func Ranked(key [32]byte, nodes []Node, p Policy) ([]Node, error) {
	pl, err := NewPlan(nodes, p)
	if err != nil {
		return nil, err
	}
	return pl.Ranked(key), nil
}

// Repair is NewPlan(nodes, p).Repair(key, assignment).
func Repair(key [32]byte, assignment []string, nodes []Node, p Policy) ([]string, error) {
	pl, err := NewPlan(nodes, p)
	if err != nil {
		return nil, err
	}
	return pl.Repair(key, assignment)
}
