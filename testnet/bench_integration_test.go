//go:build integration

package testnet

import (
	"context"
	"testing"
	"time"
)

// TestIntegrationBench runs the bench at a small size: every figure must come out, from a
// real in-process federation, with the limits measured beside them.
func TestIntegrationBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := RunBench(ctx, BenchOptions{Size: 16 << 20, Small: 4})
	if err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{"raw": r.RawStreamMBs, "encode": r.CodecEncodeMBs, "decode": r.CodecDecodeMBs,
		"put": r.PutMBs, "get": r.GetMBs, "memcpy": r.Limits.MemcpyMBs, "sha256": r.Limits.SHA256MBs, "blake3": r.Limits.BLAKE3MBs,
		"aes": r.Limits.AESGCMMBs, "rs": r.Limits.RSEncodeMBs, "disk": r.Limits.DiskFsyncMBs, "bound": r.PutBoundMBs()}
	for name, v := range rates {
		if !(v > 0) {
			t.Errorf("%s = %v MB/s", name, v)
		}
	}
	for name, d := range map[string]time.Duration{"put p50": r.Put1P50, "get p50": r.Get1P50, "fresh p50": r.Fresh1P50} {
		if d <= 0 {
			t.Errorf("%s = %v", name, d)
		}
	}
	if len(r.Transports) != 3 {
		t.Errorf("%d transports measured, want noise+prologue, pnet+noise and tls", len(r.Transports))
	}
	for _, tr := range r.Transports {
		if !(tr.MBs > 0) || !(tr.CPUPerGB > 0) {
			t.Errorf("transport %s: %v MB/s, %v CPU-s/GB", tr.Name, tr.MBs, tr.CPUPerGB)
		}
	}
	if !(r.CodecEncodeCPUPerGB > 0) || !(r.CodecDecodeCPUPerGB > 0) {
		t.Errorf("codec CPU not measured: %v / %v", r.CodecEncodeCPUPerGB, r.CodecDecodeCPUPerGB)
	}
	if r.K != 3 || r.M != 2 || r.Nodes != 5 {
		t.Errorf("federation %d nodes %d+%d, want 5 nodes 3+2", r.Nodes, r.K, r.M)
	}
}
