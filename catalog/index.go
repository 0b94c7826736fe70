package catalog

import (
	"math"
	"strings"

	"github.com/google/btree"
	"github.com/tidwall/rtree"

	"github.com/meridian-fed/meridian/pid"
)

// indexes are the secondary indexes Search uses: derived state, never snapshotted, updated by
// addObjectLocked in apply and rebuilt by restore (which adds the objects one by one). They
// name objects by position in State.order (a uint32: the order is append-only and an object
// replaced by copy-on-write keeps its position), so they need no update when keys change.
type indexes struct {
	// meta maps a top-level meta key and its value as Search compares it (strings as they
	// are, integers in decimal) to the positions holding it, ascending.
	meta map[string]map[string][]uint32
	// names orders (lower-cased name, position) for name-prefix search.
	names *btree.BTreeG[nameKey]
	// when holds each object's time range on the x axis (y is 0), rounded outward to
	// float32 seconds: a superset that Search narrows with the exact check.
	when rtree.RTreeGN[float32, uint32]
	// bbox holds each object's box, split at the antimeridian, rounded outward to float32.
	bbox rtree.RTreeGN[float32, uint32]
}

type nameKey struct {
	name string // strings.ToLower of the object's name (shares Object.Name when already lower case)
	pos  uint32
}

func lessName(a, b nameKey) bool {
	if a.name != b.name {
		return a.name < b.name
	}
	return a.pos < b.pos
}

func newIndexes() *indexes {
	return &indexes{meta: make(map[string]map[string][]uint32), names: btree.NewG(32, lessName)}
}

// add indexes the object at position pos. Apply and restore both come here, so both index
// alike; the meta entries come from recordMeta, not pid.Decode (too slow for restore).
func (ix *indexes) add(pos uint32, o *Object) {
	_ = recordMeta(o.Record, func(k, v []byte) { ix.addMeta(k, v, pos) })
	ix.names.ReplaceOrInsert(nameKey{name: strings.ToLower(o.Name), pos: pos})
	if start, end, ok := timeRange(o.When); ok {
		lo, hi := timeKey(start.Unix()), timeKey(end.Unix()+1)
		ix.when.Insert([2]float32{down(lo), 0}, [2]float32{up(hi), 0}, pos)
	}
	if b, err := parseBox(o.BBox); err == nil {
		for _, x := range b.spans() {
			ix.bbox.Insert([2]float32{down(x[0]), down(b.minY)}, [2]float32{up(x[1]), up(b.maxY)}, pos)
		}
	}
}

// metaIndexed reports whether the meta index holds the term k=v. "\x00" also matches lists,
// maps and absent keys; bbox and datetime have their own indexes, and indexing their values
// (almost all distinct) as terms would cost ~250 B per object for an unlikely query. Search
// answers the other terms by decoding the record.
func metaIndexed(k, v string) bool {
	return v != noMatch && k != pid.MetaBBox && k != pid.MetaDatetime
}

// addMeta adds pos to the list of k=v; strings are copied only for a new key or value.
func (ix *indexes) addMeta(k, v []byte, pos uint32) {
	if !metaIndexed(string(k), string(v)) {
		return
	}
	vals := ix.meta[string(k)]
	if vals == nil {
		vals = make(map[string][]uint32)
		ix.meta[string(k)] = vals
	}
	if l, ok := vals[string(v)]; ok {
		vals[string(v)] = append(l, pos)
		return
	}
	vals[string(v)] = []uint32{pos}
}

// timeKey maps unix seconds to the float64 the time index orders by; open ends (±2^62 s)
// stay far outside any real time.
func timeKey(sec int64) float64 { return float64(sec) }

// down and up round a float64 to the float32 at or below, at or above it, so that rounded
// rectangles contain the exact ones.
func down(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}
