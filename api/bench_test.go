package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

// BenchmarkDownload measures the HTTP layer's content path over loopback: client Get (with
// sha256 check) of a 16 MiB object served from the in-memory fake.
func BenchmarkDownload(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) { benchDownload(b, size) })
	}
}

// benchDownload measures Get of size bytes over loopback HTTP from the fake backend: the API's
// own cost (auth, headers, copy, the client's sha256) without a federation behind it.
func benchDownload(b *testing.B, size int) {
	f := newFake()
	ts := newBenchServer(b, f)
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	o, err := f.Publish(context.Background(), Subject{Member: "aist", Roles: []string{"publish"}},
		PublishRequest{Catalog: "open", Name: "big"}, bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	c, _ := NewClient([]string{ts}, "")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Get(context.Background(), o.PID, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpload measures Put of 16 MiB over loopback into the fake (which buffers and hashes).
func BenchmarkUpload(b *testing.B) {
	f := newFake()
	ts := newBenchServer(b, f)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	c, _ := NewClient([]string{ts}, "admin")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Put(context.Background(), "open", "big", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
		f.mu.Lock()
		f.content = map[string][]byte{} // keep memory flat
		f.mu.Unlock()
	}
}

func BenchmarkNegotiateBrowser(b *testing.B) {
	const h = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"
	for i := 0; i < b.N; i++ {
		if ct, _ := negotiate(h, pidOffers); ct != TypeHTML {
			b.Fatal(ct)
		}
	}
}

func BenchmarkParseRange(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, ok, _ := parseRange("bytes=1048576-2097151, 0-99", 1<<30); !ok {
			b.Fatal("not ok")
		}
	}
}
