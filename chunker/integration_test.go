//go:build integration

package chunker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// peakSampler records the largest Go heap in use while it runs, above what was in use (after a
// collection) when it started.
type peakSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	base uint64
	peak uint64
}

func samplePeak() *peakSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := &peakSampler{stop: make(chan struct{}), base: ms.HeapInuse + ms.StackInuse}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse+ms.StackInuse)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *peakSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.peak - min(s.base, s.peak)
}

// vmHWM is this process's peak resident set size from /proc (0 when unknown).
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestIntegrationEncodeLargeStreamMemory encodes a generated 2 GiB stream: the Go heap must stay
// under 256 MiB whatever the object size, and the content CID must match ComputeContentID.
func TestIntegrationEncodeLargeStreamMemory(t *testing.T) {
	const size = 2<<30 + 12345
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	peak := samplePeak()
	start := time.Now()
	res, err := Encode(context.Background(), genReader(99, size), DefaultParams(), testDEK(t), nopPut)
	elapsed := time.Since(start)
	p := peak.Stop()
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatal(err)
	}
	mib := float64(size) / (1 << 20)
	t.Logf("encoded %d bytes in %s (%.0f MB/s): peak Go heap %d MiB, process peak RSS %d MiB, %.1f allocs/MiB, %.1f KiB allocated/MiB",
		size, elapsed.Round(time.Millisecond), float64(size)/1e6/elapsed.Seconds(), p>>20, vmHWM()>>20,
		float64(ms1.Mallocs-ms0.Mallocs)/mib, float64(ms1.TotalAlloc-ms0.TotalAlloc)/mib/1024)
	if p > 256<<20 {
		t.Fatalf("peak heap %d MiB, want < 256 MiB", p>>20)
	}
	id, err := ComputeContentID(genReader(99, size))
	if err != nil || id.CID != res.ContentCID || id.SHA256 != res.SHA256 {
		t.Fatalf("content id %v, Encode said %v (%v)", id.CID, res.ContentCID, err)
	}
	if len(res.Manifest.Stripes) != size/(4<<20)+1 {
		t.Fatalf("%d stripes", len(res.Manifest.Stripes))
	}
}

// TestIntegrationContentCIDLarge checks the >1 GiB shape (1026 leaves: a root over two
// 1024-link levels) against boxo's importer and the golden vector, and compares their memory.
func TestIntegrationContentCIDLarge(t *testing.T) {
	const size = 1<<30 + LeafSize + 7
	peak := samplePeak()
	id, err := ComputeContentID(genReader(5, size))
	ours := peak.Stop()
	if err != nil {
		t.Fatal(err)
	}
	peak = samplePeak()
	want := boxoCID(t, genReader(5, size), LeafSize, MaxLinks)
	theirs := peak.Stop()
	t.Logf("1 GiB + 1 MiB + 7: %s; peak heap: ours %d MiB, boxo %d MiB", id.CID, ours>>20, theirs>>20)
	if id.CID != want {
		t.Fatalf("got %s, boxo %s", id.CID, want)
	}
	checkGolden(t, "content_cid_large.golden", fmt.Appendf(nil, "%d %s %x\n", size, id.CID, id.SHA256))
}
