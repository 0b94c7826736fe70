package catalog

import (
	"math"
	"slices"
	"strings"

	"github.com/tidwall/rtree"

	"github.com/meridian-fed/meridian/policy"
)

// maxCandidates bounds the positions Search collects from the name, time or box index before
// it gives that index up. Scanning in publish order finds a page after about limit·N/k objects
// when k of N match, collecting costs k: the two meet near √(MaxLimit·N), 32k at a million.
// A variable so that tests can force the scan.
var maxCandidates = 1 << 15

// noMatch is what metaString gives lists, maps and absent keys: no query value means it.
const noMatch = "\x00"

// searchIndexed answers a search from the indexes when one of them narrows it to fewer
// objects than a scan would visit. ok is false when none does; the caller then scans.
func (s *State) searchIndexed(sub policy.Subject, c *compiled, after uint64, limit int) (p Page, ok bool) {
	s.mu.RLock()
	base, ok := s.candidatesLocked(c)
	i, _ := slices.BinarySearch(base, uint32(firstAfter(s.order, after)))
	s.mu.RUnlock()
	if !ok {
		return Page{}, false
	}
	// base may be a meta list Apply appends to; only its first len(base) entries, written
	// before the lock was taken, are read.
	base = base[i:]
	readable := make(map[string]bool)
	var out []*Object
	for len(base) > 0 {
		n := min(len(base), scanChunk)
		var more bool
		out, more = s.filterLocking(sub, c, base[:n], readable, out, limit)
		if more {
			return page(out, true), true
		}
		base = base[n:]
	}
	return page(out, false), true
}

// filterLocking appends to out the objects at positions that sub may read and that match c,
// holding the read lock for this chunk only. more is true when a match beyond limit exists.
func (s *State) filterLocking(sub policy.Subject, c *compiled, positions []uint32, readable map[string]bool, out []*Object, limit int) ([]*Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, pos := range positions {
		o := s.order[pos]
		if c.q.Catalog != "" && o.Catalog != c.q.Catalog {
			continue
		}
		ok, seen := readable[o.Catalog]
		if !seen {
			cat := s.catalogs[o.Catalog]
			ok = cat != nil && policy.Can(sub, policy.Read, cat.Resource()) == nil
			readable[o.Catalog] = ok
		}
		if !ok || !c.matchPlain(o) || !s.matchMetaIndexedLocked(c, pos, o) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, o)
	}
	return out, false
}

// matchMetaIndexedLocked checks the meta filters: indexed terms by a binary search of their
// position lists, the others (see metaIndexed) by decoding the record.
func (s *State) matchMetaIndexedLocked(c *compiled, pos uint32, o *Object) bool {
	rest := false
	for k, v := range c.q.Meta {
		if !metaIndexed(k, v) {
			rest = true
			continue
		}
		if _, found := slices.BinarySearch(s.idx.meta[k][v], pos); !found {
			return false
		}
	}
	return !rest || c.matchMetaDecoded(o, func(k, v string) bool { return !metaIndexed(k, v) })
}

// candidatesLocked returns, ascending, the positions of a superset of the objects matching c,
// taken from the index that yields the fewest. ok is false when no index applies or every
// applicable one yields more than maxCandidates (meta lists excepted: they cost nothing to
// take) or more than the named catalog holds.
func (s *State) candidatesLocked(c *compiled) ([]uint32, bool) {
	var best []uint32
	found := false
	take := func(l []uint32) {
		if !found || len(l) < len(best) {
			best, found = l, true
		}
	}
	for k, v := range c.q.Meta {
		if metaIndexed(k, v) {
			take(s.idx.meta[k][v])
		}
	}
	budget := maxCandidates
	if found {
		budget = min(budget, len(best))
	}
	for _, collect := range []func(int) ([]uint32, bool){s.prefixLocked(c), s.whenLocked(c), s.bboxLocked(c)} {
		if collect == nil {
			continue
		}
		if l, ok := collect(budget); ok {
			slices.Sort(l)
			l = slices.Compact(l)
			take(l)
			budget = len(l)
		}
	}
	if !found {
		return nil, false
	}
	if c.q.Catalog != "" {
		if cat := s.catalogs[c.q.Catalog]; cat != nil && len(cat.objs) <= len(best) {
			return nil, false
		}
	}
	return best, true
}

// collector gathers at most budget positions; ok is false when there are more.
type collector struct {
	out    []uint32
	budget int
}

func (k *collector) add(pos uint32) bool {
	if len(k.out) >= k.budget {
		k.out = nil
		return false
	}
	k.out = append(k.out, pos)
	return true
}

func (s *State) prefixLocked(c *compiled) func(int) ([]uint32, bool) {
	if c.prefix == "" {
		return nil
	}
	return func(budget int) ([]uint32, bool) {
		k := &collector{budget: budget}
		done := true
		s.idx.names.AscendGreaterOrEqual(nameKey{name: c.prefix}, func(e nameKey) bool {
			if !strings.HasPrefix(e.name, c.prefix) {
				return false
			}
			done = k.add(e.pos)
			return done
		})
		return k.out, done
	}
}

func (s *State) whenLocked(c *compiled) func(int) ([]uint32, bool) {
	if c.from.IsZero() && c.to.IsZero() {
		return nil
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if !c.from.IsZero() {
		lo = timeKey(c.from.Unix())
	}
	if !c.to.IsZero() {
		hi = timeKey(c.to.Unix() + 1)
	}
	return func(budget int) ([]uint32, bool) {
		return searchRects(&s.idx.when, [][4]float64{{lo, 0, hi, 0}}, budget)
	}
}

func (s *State) bboxLocked(c *compiled) func(int) ([]uint32, bool) {
	if c.bbox == nil {
		return nil
	}
	var rects [][4]float64
	for _, x := range c.bbox.spans() {
		rects = append(rects, [4]float64{x[0], c.bbox.minY, x[1], c.bbox.maxY})
	}
	return func(budget int) ([]uint32, bool) { return searchRects(&s.idx.bbox, rects, budget) }
}

// searchRects collects the positions of the entries intersecting any of rects (each
// minx,miny,maxx,maxy, rounded outward), giving up past budget.
func searchRects(tr *rtree.RTreeGN[float32, uint32], rects [][4]float64, budget int) ([]uint32, bool) {
	k := &collector{budget: budget * len(rects)} // an object split at the antimeridian may come twice
	done := true
	for _, r := range rects {
		tr.Search([2]float32{down(r[0]), down(r[1])}, [2]float32{up(r[2]), up(r[3])}, func(_, _ [2]float32, pos uint32) bool {
			done = k.add(pos)
			return done
		})
		if !done {
			return nil, false
		}
	}
	return k.out, true
}
