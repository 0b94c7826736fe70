//go:build integration

package testnet

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationReadKicksRepairOfCorruptShards: repair passes run only every ten minutes.
// Every shard on node 1 is damaged; a read through node 1 routes around its own shards, and
// must (a) make status show degraded stripes at once, (b) tell each stripe's repairer (node 1's
// own loop, or a kick over p2p that the repairer counts as received), and (c) every stripe is
// back at k+m within a minute. Kicks from nodes connecting while the cluster settles may also
// start passes, so (b) is checked on the kick counters. Taking the kicks out of shardBad fails
// (b); taking the whole of shardBad out fails (a).
func TestIntegrationReadKicksRepairOfCorruptShards(t *testing.T) {
	testBadShardsKickRepair(t, "local", func(ctx context.Context, c *Cluster, p string, data []byte) {
		mustGet(t, ctx, onlyClient(t, c, 1, c.Token), p, data)
		st, err := c.Node(1).Status(ctx, c.Admin(1))
		if err != nil || st.Redundancy == nil || st.Redundancy.Degraded == 0 {
			t.Fatalf("status right after the read found bad shards: %+v, %v; want degraded stripes", st.Redundancy, err)
		}
		// Only admins of the node's member see the counts (node.statusCounts).
		other := c.Admin(0)
		other.Member += "-other"
		for _, sub := range []api.Subject{{Anonymous: true}, other} {
			if st, err := c.Node(1).Status(ctx, sub); err != nil || st.Redundancy != nil || st.Objects != nil {
				t.Fatalf("status for %+v shows counts: %+v, %v", sub, st, err)
			}
		}
	})
}

// TestIntegrationScrubKicksRepairOfCorruptShards is the same with a scrub of node 1 finding
// (and removing) the damaged shards: the scrub tells each stripe's repairer. Taking the Found
// hook out of the scrubber's config fails it.
func TestIntegrationScrubKicksRepairOfCorruptShards(t *testing.T) {
	testBadShardsKickRepair(t, "scrub", func(ctx context.Context, c *Cluster, _ string, _ []byte) {
		if rep, err := c.Node(1).ScrubNow(ctx); err != nil || rep.Removed == 0 {
			t.Fatalf("scrub of node 1: %+v, %v; want damaged shards removed", rep, err)
		}
	})
}

// testBadShardsKickRepair damages every shard of node 1, lets detect find them, and checks
// that the stripes' repairers are told and redundancy is full again within a minute.
func testBadShardsKickRepair(t *testing.T, where string, detect func(ctx context.Context, c *Cluster, p string, data []byte)) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const interval = 10 * time.Minute
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 5, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = interval, interval }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(4*stripe + 11)
	p := put(t, ctx, c.Client(0), "default", data)
	for i := range c.Len() { // every loop past its first pass, idle on its interval
		waitUntil(t, ctx, "node's first repair pass", func() bool { return measured(ctx, c, i).After(time.Time{}) })
	}
	waitUntil(t, ctx, "full redundancy after the publish", func() bool {
		v, err := c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes)
	})
	if n := damageAll(t, c.Node(1).StoreDir()); n == 0 {
		t.Fatal("node 1 holds no shard")
	}
	detect(ctx, c, p, data)
	detected := time.Now()
	told, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	waitUntil(t, told, "the stripes' repairers told", func() bool {
		sent := metricValue(t, ctx, c, 1, `meridian_repair_kicks_total{result="sent"}`)
		local := metricValue(t, ctx, c, 1, `meridian_repair_kicks_total{result="local"}`)
		received := 0.0
		for _, i := range []int{0, 2, 3, 4} {
			received += metricValue(t, ctx, c, i, `meridian_repair_kicks_total{result="received"}`)
		}
		return sent+local > 0 && received == sent
	})
	if bad := metricValue(t, ctx, c, 1, `meridian_bad_shards_total{where="`+where+`"}`); bad == 0 {
		t.Fatalf("node 1 counted no bad shard found by %s", where)
	}
	deadline, cancelD := context.WithTimeout(ctx, time.Minute)
	defer cancelD()
	waitUntil(t, deadline, "full redundancy again", func() bool {
		v, err := c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes)
	})
	t.Logf("time from detected corruption (%s) to full redundancy: %v", where, time.Since(detected).Round(10*time.Millisecond))
}

// damageAll flips a byte in every shard file (raw blocks, "bafk…") under dir and returns how
// many it damaged.
func damageAll(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".data") || !strings.HasPrefix(d.Name(), "bafk") {
			return nil
		}
		b, rerr := os.ReadFile(path)
		if rerr != nil || len(b) == 0 {
			return nil
		}
		b[len(b)/2] ^= 0x40
		if werr := os.WriteFile(path, b, 0o600); werr != nil {
			t.Fatal(werr)
		}
		n++
		return nil
	})
	return n
}

// metricValue reads one sample of node i's /metrics (0 when absent).
func metricValue(t *testing.T, ctx context.Context, c *Cluster, i int, sample string) float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(i)+"/metrics", nil)
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
