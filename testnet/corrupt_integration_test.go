//go:build integration

package testnet

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationCorruptShardsOnDisk: a flipped byte on one node and a truncated block on
// another are never served as data; scrub detects and deletes them, and repair restores full
// redundancy.
func TestIntegrationCorruptShardsOnDisk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(4*stripe + 11)
	p := put(t, ctx, c.Client(0), "default", data)

	damage(t, c.Node(1).StoreDir(), func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b })
	damage(t, c.Node(2).StoreDir(), func(b []byte) []byte { return b[:len(b)/3] })
	mustGet(t, ctx, c.Client(4), p, data) // damaged shards count as missing, never as data

	for _, i := range []int{1, 2} {
		rep, err := c.Node(i).ScrubNow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Corrupt != 1 || rep.Removed != 1 {
			t.Fatalf("scrub of node %d: %+v, want exactly one corrupt block removed", i, rep)
		}
	}
	waitUntil(t, ctx, "repair of the scrubbed shards", func() bool {
		v, err := c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes)
	})
	mustGet(t, ctx, c.Client(3), p, data)
}

// damage rewrites the first shard file (a raw block, "bafk…"; manifests are dag-cbor) under
// dir with f.
func damage(t *testing.T, dir string, f func([]byte) []byte) {
	t.Helper()
	var victim string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && victim == "" && !d.IsDir() && strings.HasSuffix(path, ".data") && strings.HasPrefix(d.Name(), "bafk") {
			victim = path
		}
		return nil
	})
	if victim == "" {
		t.Fatalf("no block file under %s", dir)
	}
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, f(bytes.Clone(b)), 0o600); err != nil {
		t.Fatal(err)
	}
}
