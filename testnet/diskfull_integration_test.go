//go:build integration

package testnet

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationDisksFill: nodes whose store is full refuse shards with no_space; a publish
// routes around them while k holders remain, fails with a clear no_space error when fewer
// remain, the full nodes stay up, and what was stored before is unharmed.
func TestIntegrationDisksFill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	small := map[string]bool{"node1": true, "node2": true, "node3": true}
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: stripe, Tune: func(cfg *node.Config) {
		if small[filepath.Base(cfg.DataDir)] {
			cfg.Capacity = 1 << 20
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	before := randomBytes(stripe / 2)
	p := put(t, ctx, c.Client(0), "default", before)

	big := randomBytes(12 * stripe)
	_, err = c.Client(0).Put(ctx, "default", "big.bin", bytes.NewReader(big), int64(len(big)))
	if !errs.Is(err, errs.NoSpace) {
		t.Fatalf("publish onto full disks: err = %v, want no_space", err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("nodes not ready after their disks filled: %v", err)
	}
	mustGet(t, ctx, c.Client(3), p, before)
}
