package catalog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/meridian-fed/meridian/policy"
)

// indexFixture publishes n random objects through Apply into three catalogs of different
// scopes, then narrows one scope (so copy-on-write replaces objects after they were indexed).
func indexFixture(t *testing.T, rng *rand.Rand, n int) *fixture {
	f := newFixture(t)
	f.catalog("pub", "nchc", "federation")
	f.catalog("own", "nchc", "member")
	f.catalog("pair", "aist", "members:aist,esa")
	readers := map[string][]string{"pub": {"aist", "esa", "nchc"}, "own": {"nchc"}, "pair": {"aist", "esa"}}
	pubs := map[string]string{"pub": "nchc-pub", "own": "nchc-pub", "pair": "aist-pub"}
	for i := range n {
		cat := []string{"pub", "own", "pair"}[rng.IntN(3)]
		name := fmt.Sprintf("%s-%d", randName(rng), i)
		if _, r := f.publish(pubs[cat], cat, name, randMeta(rng), readers[cat]...); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	sc, _ := policy.ParseScope("members:aist")
	f.must("aist-admin", &SetScope{Catalog: "pair", Scope: sc})
	return f
}

func randName(rng *rand.Rand) string {
	return []string{"a", "A", "ab", "Ab", "abc", "b", "B_x", "Ärger", "ärger", "zz"}[rng.IntN(10)]
}

func randTime(rng *rand.Rand) string {
	frac := []string{"", ".5", ".000000001"}[rng.IntN(3)]
	return fmt.Sprintf("2020-01-%02dT%02d:00:%02d%sZ", 1+rng.IntN(9), rng.IntN(24), rng.IntN(60), frac)
}

func randWhen(rng *rand.Rand) string {
	a, b := randTime(rng), randTime(rng)
	if b < a {
		a, b = b, a
	}
	switch rng.IntN(5) {
	case 0:
		return a + "/" + b
	case 1:
		return "../" + b
	case 2:
		return a + "/.."
	}
	return a
}

func randBox(rng *rand.Rand) string {
	x0, x1 := float64(rng.IntN(359)-179)+0.25, float64(rng.IntN(361)-180) // x0 > x1 crosses the antimeridian
	y0, y1 := rng.IntN(181)-90, rng.IntN(181)-90
	if rng.IntN(3) > 0 {
		x0, x1 = min(x0, x1), max(x0, x1)
	}
	return fmt.Sprintf("%g,%d,%g,%d", x0, min(y0, y1), x1, max(y0, y1))
}

func randMeta(rng *rand.Rand) map[string]any {
	m := map[string]any{}
	if rng.IntN(4) > 0 {
		m["datetime"] = randWhen(rng)
	}
	if rng.IntN(4) > 0 {
		m["bbox"] = randBox(rng)
	}
	if rng.IntN(2) == 0 {
		m["platform"] = []string{"S2A", "S2B", "L8"}[rng.IntN(3)]
	}
	if rng.IntN(2) == 0 {
		m["orbit"] = int64(rng.IntN(5) - 2)
	}
	if rng.IntN(4) == 0 {
		m["nested"] = map[string]any{"platform": "S2A", "orbit": int64(-1)} // not top level: no match
	}
	switch rng.IntN(4) {
	case 0:
		m["cloud"] = "12" // text and integer 12 both match cloud=12
	case 1:
		m["cloud"] = int64(12)
	case 2:
		m["cloud"] = []string{"12"} // a list matches nothing
	}
	return m
}

func randQuery(rng *rand.Rand) Query {
	var q Query
	if rng.IntN(4) == 0 {
		q.Catalog = []string{"pub", "own", "pair"}[rng.IntN(3)]
	}
	if rng.IntN(5) == 0 {
		q.Name = []string{"b", "ÄR", "-1"}[rng.IntN(3)]
	}
	if rng.IntN(3) == 0 {
		q.Prefix = []string{"a", "AB", "ä", "zz-", "q", "b_x-1"}[rng.IntN(6)]
	}
	if rng.IntN(3) == 0 {
		q.Meta = map[string]string{}
		for range 1 + rng.IntN(2) {
			k := []string{"platform", "cloud", "nokey", "orbit", "bbox", "datetime"}[rng.IntN(6)]
			q.Meta[k] = []string{"S2A", "L8", "12", "\x00", "-1", "2", randBox(rng), randWhen(rng)}[rng.IntN(8)]
		}
	}
	if rng.IntN(3) == 0 {
		q.From = randTime(rng)
	}
	if rng.IntN(3) == 0 {
		q.To = randTime(rng)[:19] + "Z"
	}
	if rng.IntN(3) == 0 {
		q.BBox = randBox(rng)
	}
	q.Limit = 1 + rng.IntN(7)
	return q
}

// scanSearch is the specification: every object in publish order, kept when sub may read
// its catalog and it matches q.
func scanSearch(s *State, sub policy.Subject, q Query) []*Object {
	c, err := compile(&q)
	if err != nil {
		panic(err)
	}
	var out []*Object
	for _, o := range s.order {
		if (q.Catalog == "" || o.Catalog == q.Catalog) && s.Authorize(sub, policy.Read, o.Catalog) == nil && c.match(o) {
			out = append(out, o)
		}
	}
	return out
}

// pagesOf pages through Search and returns every object and the Next of every page.
func pagesOf(t *testing.T, s *State, sub policy.Subject, q Query) ([]*Object, []string, error) {
	var all []*Object
	var nexts []string
	for range 10_000 {
		p, err := s.Search(sub, q)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, p.Objects...)
		nexts = append(nexts, p.Next)
		if p.Next == "" {
			return all, nexts, nil
		}
		q.Cursor = p.Next
	}
	t.Fatal("paging does not end")
	return nil, nil, nil
}

// wantNexts gives the cursors paging through want with limit must return.
func wantNexts(want []*Object, limit int) []string {
	var out []string
	for i := 0; ; i += limit {
		if i+limit >= len(want) {
			return append(out, "")
		}
		out = append(out, fmt.Sprint(want[i+limit-1].Index))
	}
}

// checkSearchMatchesScan runs random queries for several subjects and compares every page
// with the scan.
func checkSearchMatchesScan(t *testing.T, s *State, rng *rand.Rand, queries int) {
	subs := []policy.Subject{s.Subject("nchc-read"), s.Subject("aist-read"), s.Subject("esa-read"), policy.Anon}
	for i := range queries {
		q, sub := randQuery(rng), subs[rng.IntN(len(subs))]
		got, nexts, err := pagesOf(t, s, sub, q)
		if q.Catalog != "" && s.Authorize(sub, policy.Read, q.Catalog) != nil {
			if err == nil {
				t.Fatalf("query %d %+v by %s: no error for an unreadable catalog", i, q, sub.User)
			}
			continue
		}
		if err != nil {
			t.Fatalf("query %d %+v: %v", i, q, err)
		}
		want := scanSearch(s, sub, q)
		if !slices.Equal(got, want) || !slices.Equal(nexts, wantNexts(want, q.Limit)) {
			t.Fatalf("query %d %+v by %q:\n got %d objects, cursors %v\nwant %d objects, cursors %v",
				i, q, sub.User, len(got), nexts, len(want), wantNexts(want, q.Limit))
		}
	}
}

// TestSearchIndexMatchesScan is the differential test of the indexes: random objects
// published through Apply, random queries (name, prefix, meta, time window, bbox across the
// antimeridian, catalog, paging) by subjects with different read rights; every page equals
// the scan's. It runs with the default candidate budget (indexes answer) and a tiny one (most
// searches fall back to the scan or mix), and again after a snapshot round trip (indexes
// rebuilt by restore).
func TestSearchIndexMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	f := indexFixture(t, rng, 800)
	s := f.s
	for _, budget := range []int{maxCandidates, 8} {
		t.Run(fmt.Sprint("budget=", budget), func(t *testing.T) {
			defer func(old int) { maxCandidates = old }(maxCandidates)
			maxCandidates = budget
			checkSearchMatchesScan(t, s, rng, 600)
		})
	}
	t.Run("restored", func(t *testing.T) {
		var buf bytes.Buffer
		if err := s.WriteSnapshot(&buf); err != nil {
			t.Fatal(err)
		}
		r := New()
		if err := r.Restore(&buf); err != nil {
			t.Fatal(err)
		}
		checkSearchMatchesScan(t, r, rng, 600)
	})
}

// TestSearchIndexUsed checks that selective queries are answered from the indexes, not the
// scan (which the differential test could not tell apart).
func TestSearchIndexUsed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	s := indexFixture(t, rng, 300).s
	for _, q := range []Query{
		{Prefix: "zz"}, {Meta: map[string]string{"platform": "L8"}},
		{From: "2020-01-03T00:00:00Z", To: "2020-01-03T01:00:00Z"}, {BBox: "10,10,11,11"},
	} {
		c, err := compile(&q)
		if err != nil {
			t.Fatal(err)
		}
		s.mu.RLock()
		l, ok := s.candidatesLocked(c)
		s.mu.RUnlock()
		if !ok || len(l) >= s.Len()/2 {
			t.Errorf("%+v: indexed=%v with %d of %d candidates", q, ok, len(l), s.Len())
		}
	}
}

// TestSearchMetaUnindexedKeys checks the meta terms the index leaves out (bbox, datetime and
// "\x00") still match exactly, by decoding.
func TestSearchMetaUnindexedKeys(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "federation")
	meta := map[string]any{"bbox": "1,2,3,4", "datetime": "2020-01-01T00:00:00Z", "l": []string{"x"}}
	p, r := f.publish("nchc-pub", "c", "a", meta, "aist", "esa", "nchc")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, r := f.publish("nchc-pub", "c", "b", map[string]any{"bbox": "1,2,3,5"}, "aist", "esa", "nchc"); r.Err != nil {
		t.Fatal(r.Err)
	}
	sub := f.s.Subject("aist-read")
	for _, m := range []map[string]string{{"bbox": "1,2,3,4"}, {"datetime": "2020-01-01T00:00:00Z"}, {"l": "\x00", "bbox": "1,2,3,4"}} {
		page, err := f.s.Search(sub, Query{Meta: m, Prefix: "a"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Objects) != 1 || page.Objects[0].PID != p {
			t.Errorf("meta %q: %d objects, want the one published with it", m, len(page.Objects))
		}
	}
}

// TestConcurrentIndexedSearch runs index-served searches while publishes are applied (the
// meta lists grow under the readers); run with -race.
func TestConcurrentIndexedSearch(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "federation")
	var bodies [][]byte
	for i := range 60 {
		meta := map[string]any{"k": "v", "datetime": "2020-01-01T00:00:00Z", "bbox": "1,1,2,2"}
		p, rec := f.record("nchc-pub", "nchc-pub", "c", fmt.Sprintf("obj-%d", i), meta)
		bodies = append(bodies, f.encode("nchc-pub", &Publish{PID: p.String(), Record: rec, Manifest: manifestCID("m"), Keys: keysFor("aist", "esa", "nchc")}))
	}
	queries := []Query{{Meta: map[string]string{"k": "v"}, Limit: 7}, {Prefix: "obj-1"}, {BBox: "0,0,1,1"},
		{From: "2020-01-01T00:00:00Z", To: "2020-01-02T00:00:00Z", Limit: 3}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, q := range queries {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.s.Search(f.s.Subject("aist-read"), q); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, b := range bodies {
		if r := f.applyBytes(b); r.Err != nil {
			t.Error(r.Err)
		}
	}
	close(stop)
	wg.Wait()
	checkSearchMatchesScan(t, f.s, rand.New(rand.NewPCG(1, 1)), 50)
}
