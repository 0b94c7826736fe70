package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/pid"
)

var benchObjects = flag.Int("benchobjects", 100_000, "objects in the state of the large-state benchmarks")

// wrappedKeySize is the size of an age file wrapping a 32-byte data key for one X25519
// recipient (header with one stanza and MAC, nonce, payload and tag).
const wrappedKeySize = 200

var (
	bigOnce  sync.Once
	bigState *State
	bigPIDs  []cid.Cid
	bigBytes int // record and wrapped key bytes held by the big state
)

// buildBig fills a state with n objects in one catalog readable by three members, with a
// realistic record (a real signed record whose name bytes are varied: the signature no longer
// verifies, which the measured paths do not check) and three wrapped keys of realistic size.
// It goes below Apply so that the state builds in seconds; BenchmarkApplyPublish measures
// the real path.
func buildBig(tb testing.TB, n int) (*State, []cid.Cid, int) {
	f := newFixture(tb)
	f.catalog("big", "nchc", "federation")
	_, tmpl := f.record("nchc-pub", "nchc-pub", "big", "LC05_L1TP_117043_20111008_B4_obj-00000000.TIF",
		map[string]any{"bbox": "120.1,22.5,122.3,25.4", "datetime": "2011-10-08T02:14:33Z", "cloud_cover": "12"})
	at := bytes.Index(tmpl, []byte("obj-")) + 4
	s := f.s
	c := s.catalogs["big"]
	pids := make([]cid.Cid, 0, n)
	total := 0
	for i := range n {
		rec := slices.Clone(tmpl)
		copy(rec[at:], fmt.Sprintf("%08x", i))
		o := &Object{PID: pid.Sum(rec), Record: rec, Catalog: c.Name, Name: fmt.Sprintf("LC05_B4_obj-%08x.TIF", i),
			Content: s.order0Content(tb, i), Manifest: s.order0Content(tb, -i-1), Size: 1 << 30, When: "2011-10-08T02:14:33Z",
			BBox: "120.1,22.5,122.3,25.4", Publisher: "nchc-pub", Index: f.index + uint64(i) + 1, Time: f.time + int64(i)}
		for _, m := range []string{"aist", "esa", "nchc"} {
			o.Keys = append(o.Keys, WrappedKey{Member: s.members[m].ID, Key: bytes.Repeat([]byte{byte(i)}, wrappedKeySize)})
		}
		s.addObjectLocked(c, o)
		x := &exec{cmd: &Command{Actor: "nchc-pub", Kind: KindPublish, Time: o.Time}, index: o.Index}
		s.appendAuditLocked(x, sha256.Sum256(rec))
		s.applied = o.Index
		pids = append(pids, o.PID)
		total += len(rec) + 3*wrappedKeySize
	}
	return s, pids, total
}

// order0Content makes a distinct raw CID for i.
func (s *State) order0Content(tb testing.TB, i int) cid.Cid {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	c, err := cid.V1Builder{Codec: cid.Raw, MhType: 0x12}.Sum(sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func big(b *testing.B) (*State, []cid.Cid) {
	bigOnce.Do(func() { bigState, bigPIDs, bigBytes = buildBig(b, *benchObjects) })
	return bigState, bigPIDs
}

// BenchmarkApplyPublish measures the real publish path: decode, verify the record (hash and
// ed25519 signature), check policy and keys, apply, audit.
func BenchmarkApplyPublish(b *testing.B) {
	f := newFixture(b)
	f.catalog("c", "nchc", "federation")
	cmds := make([][]byte, b.N)
	for i := range cmds {
		p, rec := f.record("nchc-pub", "nchc-pub", "c", fmt.Sprintf("obj-%d.tif", i), map[string]any{"datetime": "2020-01-01T00:00:00Z"})
		cmds[i] = f.encode("nchc-pub", &Publish{PID: p.String(), Record: rec, Manifest: manifestCID("m"),
			Keys: []WrappedKey{{"aist", make([]byte, wrappedKeySize)}, {"esa", make([]byte, wrappedKeySize)}, {"nchc", make([]byte, wrappedKeySize)}}})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := f.applyBytes(cmds[i]); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkResolve measures PID resolution in a state of -benchobjects objects and reports
// the 99th percentile latency.
func BenchmarkResolve(b *testing.B) {
	s, pids := big(b)
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pids[rng.IntN(len(pids))]
		t0 := time.Now()
		if _, err := s.Resolve(p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(len(pids)), "objects")
}

// BenchmarkMemoryPerObject builds a state of -benchobjects objects and reports the heap it
// takes per object beyond the record and wrapped key bytes (audit entry and indexes included).
func BenchmarkMemoryPerObject(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, pids, payload := buildBig(b, *benchObjects)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc - before.HeapAlloc)
		n := float64(len(pids))
		b.ReportMetric((heap-float64(payload))/n, "overhead-B/object")
		b.ReportMetric(heap/n, "heap-B/object")
		b.ReportMetric(float64(payload)/n, "record+keys-B/object")
		runtime.KeepAlive(s)
	}
}

// BenchmarkSnapshotWrite measures encoding a state of -benchobjects objects.
func BenchmarkSnapshotWrite(b *testing.B) {
	s, pids := big(b)
	var size countWriter
	if err := s.WriteSnapshot(&size); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.WriteSnapshot(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "snapshot-bytes")
	b.ReportMetric(float64(size)/float64(len(pids)), "bytes/object")
}

// BenchmarkSnapshotRestore measures decoding (with every check) a state of -benchobjects
// objects.
func BenchmarkSnapshotRestore(b *testing.B) {
	s, _ := big(b)
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := ReadSnapshot(bytes.NewReader(buf.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.StopTimer()
			if r.Digest() != s.Digest() {
				b.Fatal("restored state differs")
			}
			b.StartTimer()
		}
	}
}

// BenchmarkSearchName measures a name search that scans every object of the big state.
func BenchmarkSearchName(b *testing.B) {
	s, _ := big(b)
	sub := s.Subject("aist-read")
	for i := 0; i < b.N; i++ {
		if _, err := s.Search(sub, Query{Name: "no-such-name"}); err != nil {
			b.Fatal(err)
		}
	}
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }
