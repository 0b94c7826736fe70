//go:build integration

package testnet

import (
	"context"
	"testing"
	"time"
)

// TestIntegrationCatalogBench runs the catalog bench at a small size over a real 3-voter raft
// cluster: every object must commit, every figure must come out, every kind of search must
// find objects, and the snapshot must restore to the same digest (RunCatalogBench checks).
func TestIntegrationCatalogBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := RunCatalogBench(ctx, CatalogBenchOptions{Objects: 20_000, Queries: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d objects: %.0f commits/s, resolve p99 %v, heap %.0f B/object (payload %.0f), snapshot %d B in %v, restore %v",
		r.Objects, r.CommitsPerSec, r.ResolveP99, r.HeapPerObject, r.PayloadPerObject, r.SnapshotBytes, r.SnapshotTime, r.RestoreTime)
	t.Logf("CPU per object: %v in all, %v client, %v per voter; %d retries", r.CommitCPU, r.ClientCPU, r.VoterCPU, r.Retries)
	if r.CommitsPerSec <= 0 || r.ClientCPU <= 0 || r.VoterCPU <= 0 || r.ResolveP99 <= 0 || r.ResolveP50 > r.ResolveP99 {
		t.Errorf("commit or resolve figures missing: %+v", r)
	}
	if r.HeapPerObject < r.PayloadPerObject || r.PayloadPerObject < benchWrapped*3 {
		t.Errorf("heap %.0f B/object is below its payload %.0f B/object", r.HeapPerObject, r.PayloadPerObject)
	}
	if r.SnapshotBytes < int64(r.Objects)*benchWrapped*3 || r.SnapshotTime <= 0 || r.RestoreTime <= 0 {
		t.Errorf("snapshot figures: %d bytes, %v, restore %v", r.SnapshotBytes, r.SnapshotTime, r.RestoreTime)
	}
	if len(r.Searches) != len(benchQueries) {
		t.Fatalf("%d search kinds measured, want %d", len(r.Searches), len(benchQueries))
	}
	for _, s := range r.Searches {
		t.Logf("%-28s p50 %v p99 %v, %.1f objects per page", s.Kind, s.P50, s.P99, s.AvgReturned)
		if s.P99 <= 0 || s.P50 > s.P99 || s.AvgReturned <= 0 {
			t.Errorf("%s: %+v", s.Kind, s)
		}
	}
}
