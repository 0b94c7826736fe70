package chunker

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
)

// benchSize is the object size of the end-to-end benchmarks: enough stripes to fill the pipeline.
const benchSize = 64 << 20

// textData is log-like text that compresses about 5×, standing in for CSV, JSON and logs.
func textData(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%08d,2026-11-22T04:%02d:%02dZ,station-%03d,%.4f,%.4f,ok\n",
			i, i/60%60, i%60, i%173, float64(i%9973)/7.0, float64(i%7919)/3.0)
	}
	return b.Bytes()[:n]
}

func benchInput(b *testing.B, name string) []byte {
	b.Helper()
	if name == "compressible" {
		return textData(benchSize)
	}
	return readAllGen(b, 1, benchSize)
}

func nopPut(context.Context, *EncodedStripe) error { return nil }

// BenchmarkEncode is end-to-end Encode (content CID, sha256, zstd, AES-GCM, RS, shard CIDs) at
// the default 3+2 and 4 MiB stripes, with a put that stores nothing.
func BenchmarkEncode(b *testing.B) {
	dek := testDEK(b)
	for _, name := range []string{"incompressible", "compressible"} {
		data := benchInput(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for b.Loop() {
				if _, err := Encode(context.Background(), bytes.NewReader(data), DefaultParams(), dek, nopPut); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&ms1)
			mb := float64(b.N) * float64(len(data)) / (1 << 20)
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/mb, "allocs/MiB")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/mb/(1<<10), "KiB-alloc/MiB")
		})
	}
}

// BenchmarkDecode is end-to-end Decode of a whole object (with the content CID check) with two
// shards of every stripe missing, so Reed-Solomon reconstructs.
func BenchmarkDecode(b *testing.B) {
	dek := testDEK(b)
	for _, name := range []string{"incompressible", "compressible"} {
		data := benchInput(b, name)
		res, st := encodeMem(b, data, DefaultParams(), dek)
		st.alter = func(_ int, shards [][]byte) [][]byte { shards[0], shards[3] = nil, nil; return shards }
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := Decode(context.Background(), res.Manifest, dek, st, discard{}, 0, -1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
