//go:build integration

package testnet

import (
	"context"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationKickRepairsDegradedPublish: with two of five nodes down, a publish stores
// every stripe at k shards (degraded); once the two come back, the repair loops are kicked
// and every stripe is at k+m again within a minute, although passes run only every ten
// minutes and the grace period is ten minutes too: only kicks (a degraded publish, a node
// connected again) and the restarted nodes' own first passes explain it.
func TestIntegrationKickRepairsDegradedPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const interval = 10 * time.Minute
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 5, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = interval, interval }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for i := range c.Len() { // every loop past its first pass, idle on its interval
		waitUntil(t, ctx, "node's first repair pass", func() bool { return measured(ctx, c, i).After(time.Time{}) })
	}
	victims := []int{1, 2} // members m2 and m3: the other three nodes can take only k shards
	for _, i := range victims {
		if err := c.Kill(i); err != nil {
			t.Fatal(err)
		}
	}
	data := randomBytes(4*stripe + 11)
	published := time.Now()
	p := put(t, ctx, c.Client(0), "default", data)
	v, err := c.Client(0).Verify(ctx, p, false)
	if err != nil || fullStripes(v.Stripes) != 0 {
		t.Fatalf("with two nodes down, %d of %d stripes at k+m (err %v): the test proves nothing", fullStripes(v.Stripes), len(v.Stripes), err)
	}
	waitUntil(t, ctx, "the publisher's kicked pass", func() bool { return measured(ctx, c, 0).After(published) })

	back := time.Now()
	for _, i := range victims {
		if err := c.Restart(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, time.Minute) // a tenth of the interval
	defer wcancel()
	waitUntil(t, wctx, "every stripe back at k+m", func() bool {
		v, err = c.Client(0).Verify(ctx, p, false)
		return err == nil && fullStripes(v.Stripes) == len(v.Stripes)
	})
	t.Logf("every stripe at k+m %v after the nodes came back (passes every %v), %d stripes", time.Since(back).Round(time.Millisecond), interval, len(v.Stripes))
	// The restarted nodes' first passes may have done the work; a survivor's pass after the
	// return shows the reconnect kick (the survivors' next pass is ten minutes away).
	waitUntil(t, wctx, "a survivor's pass kicked by the reconnect", func() bool {
		for _, i := range []int{0, 3, 4} {
			if measured(ctx, c, i).After(back) {
				return true
			}
		}
		return false
	})
	mustGet(t, ctx, c.Client(1), p, data)
}

// measured returns the end of node i's last complete repair pass (zero before the first).
func measured(ctx context.Context, c *Cluster, i int) time.Time {
	st, err := c.Node(i).Status(ctx, c.Admin(i))
	if err != nil || st.Redundancy == nil {
		return time.Time{}
	}
	return st.Redundancy.Measured
}
