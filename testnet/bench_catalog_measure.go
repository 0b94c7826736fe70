package testnet

import (
	"bufio"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
)

type cidT = cid.Cid

// benchQueries are the searches the bench times, each drawing its parameters at random.
var benchQueries = []struct {
	kind string
	make func(rng *mrand.Rand) catalog.Query
}{
	{"name prefix", func(rng *mrand.Rand) catalog.Query {
		return catalog.Query{Prefix: fmt.Sprintf("T%03d_", rng.IntN(benchTiles))}
	}},
	{"meta equality", func(rng *mrand.Rand) catalog.Query {
		return catalog.Query{Meta: map[string]string{"tile": fmt.Sprintf("T%03d", rng.IntN(benchTiles))}}
	}},
	{"time window (1 day)", func(rng *mrand.Rand) catalog.Query {
		from := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(3650))
		return catalog.Query{From: from.Format(time.RFC3339), To: from.AddDate(0, 0, 1).Format(time.RFC3339)}
	}},
	{"bbox (1°×1°)", func(rng *mrand.Rand) catalog.Query {
		x, y := rng.IntN(359)-180, rng.IntN(179)-90
		return catalog.Query{BBox: fmt.Sprintf("%d,%d,%d,%d", x, y, x+1, y+1)}
	}},
	{"meta + time (tile, 1 year)", func(rng *mrand.Rand) catalog.Query {
		from := time.Date(2015+rng.IntN(10), 1, 1, 0, 0, 0, 0, time.UTC)
		return catalog.Query{Meta: map[string]string{"tile": fmt.Sprintf("T%03d", rng.IntN(benchTiles))},
			From: from.Format(time.RFC3339), To: from.AddDate(1, 0, 0).Format(time.RFC3339)}
	}},
}

// measureReads times PID resolution and each kind of search on s, as the bench reader.
func measureReads(s *catalog.State, pids []cid.Cid, queries int, r *CatalogBenchReport) error {
	rng := mrand.New(mrand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, 10_000)
	for range min(len(pids), 10_000) {
		p := pids[rng.IntN(len(pids))]
		t0 := time.Now()
		if _, err := s.Resolve(p); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	r.ResolveP50, r.ResolveP99 = percentiles(lat)
	sub := s.Subject(benchReader)
	for _, k := range benchQueries {
		lat = lat[:0]
		returned := 0
		for range queries {
			q := k.make(rng)
			t0 := time.Now()
			p, err := s.Search(sub, q)
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
			returned += len(p.Objects)
		}
		p50, p99 := percentiles(lat)
		r.Searches = append(r.Searches, SearchFigure{Kind: k.kind, P50: p50, P99: p99, AvgReturned: float64(returned) / float64(queries)})
	}
	return nil
}

// measureSnapshot writes s to a file (fsync included), restores it into a fresh state and
// measures the heap that state takes.
func measureSnapshot(s *catalog.State, dir string, r *CatalogBenchReport) error {
	const op = "testnet.catalogBench"
	path := filepath.Join(dir, "catalog.snap")
	t0 := time.Now()
	if err := writeSnapshotFile(s, path); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	r.SnapshotTime = time.Since(t0)
	st, err := os.Stat(path)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	r.SnapshotBytes = st.Size()
	f, err := os.Open(path)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fresh := catalog.New()
	t0 = time.Now()
	if err := fresh.Restore(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return err
	}
	r.RestoreTime = time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	r.HeapPerObject = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(r.Objects)
	if fresh.Digest() != s.Digest() {
		return errs.Errorf(op, errs.Corrupt, "the restored state differs from the one snapshotted")
	}
	r.PayloadPerObject = payloadPerObject(fresh)
	return nil
}

func writeSnapshotFile(s *catalog.State, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := s.WriteSnapshot(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// payloadPerObject averages the record and wrapped key bytes of s's objects.
func payloadPerObject(s *catalog.State) float64 {
	total, n, cursor := 0, 0, ""
	for {
		p, err := s.Objects(cursor, catalog.MaxLimit)
		if err != nil {
			return 0
		}
		for _, o := range p.Objects {
			total += len(o.Record)
			for _, k := range o.Keys {
				total += len(k.Key)
			}
			n++
		}
		if cursor = p.Next; cursor == "" || n == 0 {
			break
		}
	}
	return float64(total) / float64(max(n, 1))
}
