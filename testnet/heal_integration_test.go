//go:build integration

package testnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationStoreHealsVanishedDirs: the field report. The fan-out directories of node
// 1's running store are removed; repair must put the lost shards back there (before the fix
// every put into a directory the store had made failed until a restart, and repair fixed
// nothing). Then the whole store directory is removed: readyz and status must say so, and
// the next write into it heals it. Taking the retry out of store's healing fails it.
func TestIntegrationStoreHealsVanishedDirs(t *testing.T) {
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
	dir := c.Node(1).StoreDir()
	fanout, _ := filepath.Glob(filepath.Join(dir, "blocks", "*"))
	if len(fanout) == 0 {
		t.Fatal("node 1 made no fan-out directory")
	}
	for _, d := range fanout {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	healed, cancelH := context.WithTimeout(ctx, 45*time.Second)
	defer cancelH()
	waitUntil(t, healed, "repair of the shards whose directories vanished", func() bool {
		v, err := c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes)
	})
	if n := metricValue(t, ctx, c, 1, "meridian_store_relayouts_total"); n == 0 {
		t.Fatal("node 1 counted no relayout")
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = c.Node(1).Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "vanished") {
		t.Fatalf("readyz of a node whose data dir vanished = %v, want it named", err)
	}
	st, err := c.Node(1).Status(ctx, api.Subject{Anonymous: true})
	if err != nil || !strings.Contains(strings.Join(st.Warnings, "\n"), "vanished") {
		t.Fatalf("status warnings = %q, %v; want the vanished data dir", st.Warnings, err)
	}
	if v := metricValue(t, ctx, c, 1, "meridian_store_writable"); v != 0 {
		t.Fatalf("meridian_store_writable = %v with the data dir gone, want 0", v)
	}
	waitUntil(t, ctx, "repair refilling the recreated store and readyz passing", func() bool {
		v, err := c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes) && c.Node(1).Ready(ctx) == nil
	})
	mustGet(t, ctx, onlyClient(t, c, 1, c.Token), p, data)
}
