//go:build integration

package testnet

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIntegrationScorecardShort runs the durability scorecard briefly; the long run is
// `meridian scorecard --trials 20 --objects 100`.
func TestIntegrationScorecardShort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := RunScorecard(ctx, ScoreOptions{Trials: 2, Objects: 6, Seed: 3, LossMiB: 48})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	if r.Losses != 0 || r.WrongBytes != 0 {
		t.Fatalf("losses %d, wrong bytes %d: both must be 0", r.Losses, r.WrongBytes)
	}
	if r.CorruptionsInjected == 0 || r.CorruptionsDetected != r.CorruptionsInjected {
		t.Fatalf("corruptions detected %d of %d injected", r.CorruptionsDetected, r.CorruptionsInjected)
	}
	if r.Nodes != scoreNodes || r.Members != scoreMembers || r.K != scoreK || r.M != scoreM {
		t.Fatalf("federation %d nodes, %d members, %d+%d: the card must say what it measured", r.Nodes, r.Members, r.K, r.M)
	}
	if r.Reads == 0 || r.RedundancyAfterLoss <= 0 {
		t.Fatalf("nothing measured: %+v", *r)
	}
	if r.RepairedBytes <= 0 || r.RepairWindow <= 0 || r.RepairStart <= 0 || r.RepairMBs <= 0 || r.RepairCPUPerGB <= 0 {
		t.Fatalf("the permanent loss rebuilt nothing measurable: %+v", *r)
	}
	if r.TransportMBs <= 0 || r.RSDecodeMBs <= 0 || r.RepairBoundMBs != r.TransportMBs/scoreK {
		t.Fatalf("same-run limits missing: %+v", *r)
	}
}

// TestIntegrationScorecardProfile writes a CPU profile of the permanent-loss phase of a
// scorecard and checks that it holds one: with $SCORECARD_CPUPROFILE set, of a default-size
// scorecard into that file (for a person to read); unset, as in CI, of a short one into a
// temporary file, so that the profiling path is exercised on every run.
func TestIntegrationScorecardProfile(t *testing.T) {
	opts := ScoreOptions{Trials: 2, Objects: 80, Seed: 1}
	path := os.Getenv("SCORECARD_CPUPROFILE")
	if path == "" {
		path = filepath.Join(t.TempDir(), "cpu.prof")
		opts = ScoreOptions{Trials: 2, Objects: 6, Seed: 3, LossMiB: 48}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts.CPUProfile = f
	r, err := RunScorecard(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	checkProfile(t, path)
}

// checkProfile fails unless path holds a non-empty gzip stream, as pprof writes.
func checkProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a CPU profile (the repair was never seen busy?): %v", path, err)
	}
	n, err := io.Copy(io.Discard, z)
	if err != nil || n == 0 {
		t.Fatalf("%s: %d bytes of profile, %v", path, n, err)
	}
}
