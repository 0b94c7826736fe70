package shardproto

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// TestGetStreamsFromDisk covers the Opener path: whole, ranged and tail reads straight from
// the block file, errors for bad ranges and missing shards, and that the server sends the
// stored bytes unhashed and the receiving client is the one that refuses them.
func TestGetStreamsFromDisk(t *testing.T) {
	dir := t.TempDir()
	d, err := store.OpenDisk(dir, store.DiskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	p := newPair(t, ServerConfig{Store: d})
	data, c := shard(7, 1_300_000) // several copy buffers
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ off, n int64 }{{0, 0}, {0, 1}, {262_143, 262_146}, {1_299_999, 0}, {1_300_000, 0}} {
		got, err := p.client.GetShard(ctx(t), p.remote, c, r.off, r.n)
		want := data[r.off:]
		if r.n > 0 {
			want = data[r.off : r.off+r.n]
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("GetShard(%d, %d) = %d bytes, %v; want %d bytes", r.off, r.n, len(got), err, len(want))
		}
	}
	if _, err := p.client.GetShard(ctx(t), p.remote, c, 1_300_001, 0); !errs.Is(err, errs.Invalid) {
		t.Fatalf("range past the end: %v, want Invalid", err)
	}
	_, other := shard(8, 10)
	if _, err := p.client.GetShard(ctx(t), p.remote, other, 0, 0); !errs.Is(err, errs.NotExist) {
		t.Fatalf("missing shard: %v, want NotExist", err)
	}
	flipStored(t, dir, int64(len(data)))
	if got, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("after a flipped byte: %d bytes, %v; want the receiver to refuse them as Corrupt", len(got), err)
	}
	if _, err := d.Get(ctx(t), c); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("local Get of the flipped block: %v, want Corrupt", err)
	}
}

// flipStored flips one byte of the only block file of size n under dir.
func flipStored(t *testing.T, dir string, n int64) {
	t.Helper()
	var path string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if fi, _ := e.Info(); fi != nil && fi.Size() == n {
				path = p
			}
		}
		return nil
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[n/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
