//go:build integration

package testnet

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationHiddenShardsAreFoundThroughTheDHT publishes a one-stripe object (k=3, m=2,
// one shard per node) and wants every node to have announced its shard, then moves the shards of three nodes into the store of a fourth
// while it is down, as a detour, a repair or a node's return would leave them. The fourth
// comes back and announces what it holds; the fifth node reads the object although the
// computed holders of three shards lack them, and its metrics show shards fetched from
// holders a provider lookup named. Repair is throttled to a crawl so it cannot put the
// shards back first.
func TestIntegrationHiddenShardsAreFoundThroughTheDHT(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const idle = 10 * time.Minute
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 5, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval, cfg.RepairRate = idle, idle, 1 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(stripe / 2)
	p := put(t, ctx, c.Client(0), "default", data)

	files := make([][]string, c.Len()) // per node: its shard files
	for i := range c.Len() {
		files[i] = shardFiles(c.Node(i).StoreDir())
		if len(files[i]) != 1 {
			t.Fatalf("node %d holds %d shards of the one stripe, want 1: the test needs one per node", i, len(files[i]))
		}
	}
	// Waits get a minute of their own so that they, not a metrics request, report a timeout.
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	for i := range c.Len() { // the symptom of issue 18: 0 on every node after publishes
		waitUntil(t, wctx, "every holder announces the shard it stored", func() bool {
			return metric(t, ctx, c, i, "meridian_p2p_provided_total") >= 1
		})
	}
	const reader, hider = 0, 4
	dirs := make([]string, c.Len())
	for i := range c.Len() {
		dirs[i] = c.Node(i).StoreDir()
	}
	if err := c.Kill(hider); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2, 3} {
		rel, err := filepath.Rel(dirs[i], files[i][0])
		if err != nil {
			t.Fatal(err)
		}
		moveFile(t, files[i][0], filepath.Join(dirs[hider], rel))
	}
	before := metric(t, ctx, c, reader, "meridian_p2p_provider_fetched_total")
	if err := c.Restart(ctx, hider); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, wctx, "the returned node's announcements", func() bool {
		return metric(t, ctx, c, hider, "meridian_p2p_provided_total") >= 4
	})
	mustGet(t, ctx, c.Client(reader), p, data)
	lookups := metric(t, ctx, c, reader, "meridian_p2p_provider_lookups_total")
	fetched := metric(t, ctx, c, reader, "meridian_p2p_provider_fetched_total") - before
	if fetched < 1 {
		t.Fatalf("read succeeded with %v lookups but no shard fetched from a looked-up provider: the DHT was not what found them", lookups)
	}
	t.Logf("read back with %v provider lookups, %v shards fetched from looked-up providers", lookups, fetched)
	for _, i := range []int{1, 2, 3} {
		if _, err := os.Stat(files[i][0]); err == nil {
			t.Fatalf("node %d holds its shard again: repair put it back, the read did not need the DHT", i)
		}
	}
}

// moveFile moves a block file to another store at the same relative path.
func moveFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(from); err != nil {
		t.Fatal(err)
	}
}

// metric reads an unlabelled counter from node i's /metrics (0 when absent).
func metric(t *testing.T, ctx context.Context, c *Cluster, i int, name string) float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(i)+"/metrics", nil)
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
