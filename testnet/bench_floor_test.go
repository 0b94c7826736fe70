package testnet

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

// TestFloorPasses pins the per-byte work of a 3+2 publish and read on 5 and 10 nodes, and its
// price at round rates.
func TestFloorPasses(t *testing.T) {
	r := &BenchReport{K: 3, M: 2, Nodes: 5, Limits: Limits{SHA256MBs: 1000, BLAKE3MBs: 2000, AESGCMMBs: 4000, XSalsa20MBs: 1000, ChaChaPolyMBs: 2000}}
	put, get := r.PutFloor(2), r.GetFloor(2)
	// PUT: content CID + whole sha256; 5/3 blake3 shard CIDs + 4/3 re-hashed by remote holders.
	if !near(put.SHA256, 2) || !near(put.BLAKE3, 3) || !near(put.Transport, 4.0/3) || put.AESGCM != 1 {
		t.Fatalf("PUT floor on 5 nodes: %+v, want 2 sha256 and 3 blake3 passes and 4/3 of the object as shard traffic", put)
	}
	// 2 ms + 1.5 ms + 0.25 ms + 2·(4/3)·0.5 ms per MB; no XSalsa20 (no pnet).
	if want := 2 + 1.5 + 0.25 + 4.0/3; !near(put.CPUPerGB, want) || !near(put.MaxMBs, 2e3/want) {
		t.Fatalf("PUT floor costs %.4f CPU-s/GB (%.1f MB/s), want %.4f", put.CPUPerGB, put.MaxMBs, want)
	}
	if !near(get.SHA256, 2) || !near(get.BLAKE3, 1) || !near(get.Transport, 2.0/3) {
		t.Fatalf("GET floor on 5 nodes: %+v, want 2 sha256 and 1 blake3 passes and 2/3 as shard traffic", get)
	}
	if want := 2 + 0.5 + 0.25 + 2.0/3; !near(get.CPUPerGB, want) {
		t.Fatalf("GET floor costs %.4f CPU-s/GB, want %.4f", get.CPUPerGB, want)
	}
	r.Nodes = 10 // each node holds half a shard per stripe on average
	if got := r.GetFloor(2).Transport; !near(got, 2.5/3) {
		t.Fatalf("GET shard traffic on 10 nodes: %.4f, want 2.5/3", got)
	}
	r.Limits.BLAKE3MBs = 0
	if f := r.PutFloor(2); f.CPUPerGB != 0 || f.MaxMBs != 0 {
		t.Fatalf("a floor priced without a measured hash rate: %+v, want none", f)
	}
}
