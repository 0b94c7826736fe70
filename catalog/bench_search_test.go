package catalog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/pid"
)

// benchTiles is the number of distinct name prefixes and "tile" values of the varied state.
const benchTiles = 1000

var (
	variedOnce  sync.Once
	variedState *State
)

// buildVaried fills a state with n objects whose names, times, boxes and meta vary as in
// `meridian bench --catalog` (testnet/bench_catalog_load.go): a name under one of 1000 tile
// prefixes, a datetime in 2015–2024, a 1°×1° box anywhere, one of 8 platforms. Records are a
// real signed template with those fields overwritten in place (fixed widths), below Apply.
func buildVaried(tb testing.TB, n int) *State {
	f := newFixture(tb)
	f.catalog("big", "nchc", "federation")
	_, tmpl := f.record("nchc-pub", "nchc-pub", "big", "T000_00000000.tif", map[string]any{
		"bbox": "+000.000,+00.000,+000.000,+00.000", "datetime": "2015-01-01T00:00:00Z", "platform": "S2A", "tile": "Q999"})
	at := func(s string) int { return bytes.Index(tmpl, []byte(s)) }
	nameAt, boxAt, whenAt, platAt, tileAt := at("T000_"), at("+000.000"), at("2015-01-01T00:00:00Z"), at("S2A"), at("Q999")
	s, c := f.s, f.s.catalogs["big"]
	for i := range n {
		rng := rand.New(rand.NewPCG(1, uint64(i)))
		tile := rng.IntN(benchTiles)
		when := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(10 * 365 * 24 * time.Hour)))).Format(time.RFC3339)
		x, y := float64(rng.IntN(359_000)-180_000)/1000, float64(rng.IntN(179_000)-90_000)/1000
		name, box := fmt.Sprintf("T%03d_%08d.tif", tile, i), fmt.Sprintf("%+08.3f,%+07.3f,%+08.3f,%+07.3f", x, y, x+1, y+1)
		rec := slices.Clone(tmpl)
		copy(rec[nameAt:], name)
		copy(rec[boxAt:], box)
		copy(rec[whenAt:], when)
		copy(rec[platAt:], []string{"S2A", "S2B", "L8X", "L9X", "S1A", "S1B", "S3A", "S3B"}[rng.IntN(8)])
		copy(rec[tileAt:], fmt.Sprintf("T%03d", tile))
		o := &Object{PID: pid.Sum(rec), Record: rec, Catalog: c.Name, Name: name, Content: s.order0Content(tb, i),
			Manifest: s.order0Content(tb, -i-1), Size: 1 << 30, When: when, BBox: box, Publisher: "nchc-pub",
			Index: f.index + uint64(i) + 1, Time: f.time + int64(i)}
		for _, m := range []string{"aist", "esa", "nchc"} {
			o.Keys = append(o.Keys, WrappedKey{Member: s.members[m].ID, Key: bytes.Repeat([]byte{byte(i)}, wrappedKeySize)})
		}
		s.addObjectLocked(c, o)
		s.applied = o.Index
	}
	return s
}

func varied(b *testing.B) *State {
	variedOnce.Do(func() { variedState = buildVaried(b, *benchObjects) })
	return variedState
}

// benchSearch times searches made by mk in the varied state and reports p50 and p99.
func benchSearch(b *testing.B, mk func(rng *rand.Rand) Query) {
	s := varied(b)
	sub := s.Subject("aist-read")
	rng := rand.New(rand.NewPCG(5, 6))
	lat := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := mk(rng)
		t0 := time.Now()
		p, err := s.Search(sub, q)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		found += len(p.Objects)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(found)/float64(b.N), "objects/page")
}

func BenchmarkSearchPrefix(b *testing.B) {
	benchSearch(b, func(rng *rand.Rand) Query { return Query{Prefix: fmt.Sprintf("T%03d_", rng.IntN(benchTiles))} })
}

func BenchmarkSearchMeta(b *testing.B) {
	benchSearch(b, func(rng *rand.Rand) Query {
		return Query{Meta: map[string]string{"tile": fmt.Sprintf("T%03d", rng.IntN(benchTiles))}}
	})
}

// BenchmarkSearchMetaDense asks for one of 8 platforms: the list walked is an eighth of all.
func BenchmarkSearchMetaDense(b *testing.B) {
	benchSearch(b, func(rng *rand.Rand) Query {
		return Query{Meta: map[string]string{"platform": []string{"S2A", "L8X", "S3B"}[rng.IntN(3)]}}
	})
}

func BenchmarkSearchTime(b *testing.B) {
	benchSearch(b, func(rng *rand.Rand) Query {
		from := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(3650))
		return Query{From: from.Format(time.RFC3339), To: from.AddDate(0, 0, 1).Format(time.RFC3339)}
	})
}

func BenchmarkSearchBBox(b *testing.B) {
	benchSearch(b, func(rng *rand.Rand) Query {
		x, y := rng.IntN(359)-180, rng.IntN(179)-90
		return Query{BBox: fmt.Sprintf("%d,%d,%d,%d", x, y, x+1, y+1)}
	})
}

// BenchmarkSearchSubstring is a name substring search matching nothing: no index serves it,
// so it scans every object.
func BenchmarkSearchSubstring(b *testing.B) {
	benchSearch(b, func(*rand.Rand) Query { return Query{Name: "no-such-name"} })
}

// BenchmarkResolveVaried resolves PIDs of the varied state.
func BenchmarkResolveVaried(b *testing.B) {
	s := varied(b)
	pids := make([]cid.Cid, 0, 1000)
	for _, o := range s.order[:min(1000, len(s.order))] {
		pids = append(pids, o.PID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Resolve(pids[i%len(pids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexMemory reports the heap the search indexes of the varied state take per
// object, and the time to rebuild them (what restore adds to its decoding).
func BenchmarkIndexMemory(b *testing.B) {
	s := varied(b)
	for i := 0; i < b.N; i++ {
		var with, without runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&with)
		s.idx = newIndexes()
		runtime.GC()
		runtime.ReadMemStats(&without)
		t0 := time.Now()
		for pos, o := range s.order {
			s.idx.add(uint32(pos), o)
		}
		rebuild := time.Since(t0)
		n := float64(len(s.order))
		b.ReportMetric(float64(int64(with.HeapAlloc)-int64(without.HeapAlloc))/n, "index-B/object")
		b.ReportMetric(float64(rebuild.Nanoseconds())/n, "rebuild-ns/object")
	}
}
