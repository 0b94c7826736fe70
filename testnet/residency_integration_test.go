//go:build integration

package testnet

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationResidency is issue 11's federation over real nodes: TW 3 nodes, JP 2, FR 2
// (members m1, m2, m3), a 3+2 catalog in jurisdiction mode and a plain 3+2 one. With every node
// up a put keeps the constraints (verify's placement audit says so). With both JP nodes killed,
// the jurisdiction put is refused naming jurisdiction (it used to be accepted with TW holding 3
// shards of every stripe); the plain put is accepted degraded with no member over its cap of 2,
// and repair waits for JP instead of breaking the cap, saying so in status.
func TestIntegrationResidency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 7, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	admin := c.Client(0)
	for _, cat := range []api.Catalog{
		{Name: "res", Scope: "member", Placement: api.Placement{K: 3, M: 2, Jurisdiction: true}},
		{Name: "plain", Scope: "member", Placement: api.Placement{K: 3, M: 2}},
	} {
		if _, err := admin.CreateCatalog(ctx, cat); err != nil {
			t.Fatal(err)
		}
	}
	data := randomBytes(2*stripe + 7)
	before := put(t, ctx, admin, "res", data)
	auditOK(t, ctx, admin, before, 5)

	jp := []int{1, 4} // MemberOf(1, 3) = MemberOf(4, 3) = m2, region JP
	killed := map[string]bool{}
	for _, i := range jp {
		killed[c.Node(i).PeerID().String()] = true
		if err := c.Kill(i); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, ctx, "a leader among the nodes that are up", func() bool {
		st, err := admin.Status(ctx)
		return err == nil && st.Leader != "" && !killed[st.Leader]
	})

	_, err = admin.Put(ctx, "res", "after.bin", bytes.NewReader(data), int64(len(data)))
	t.Logf("jurisdiction put with JP down: %v", err)
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "jurisdiction") {
		t.Fatalf("jurisdiction put with both JP nodes down: err = %v, want unavailable naming jurisdiction", err)
	}

	plain := put(t, ctx, admin, "plain", data)
	auditOK(t, ctx, admin, plain, 4)          // TW 2, FR 2: the fifth shard waits for JP
	mustGet(t, ctx, c.Client(3), plain, data) // node 3: member m1, in the catalog's scope
	var why string
	waitUntil(t, ctx, "a node's status saying repair waits for placement", func() bool {
		for _, i := range []int{0, 2, 3, 5, 6} {
			st, err := c.ClientWithToken(i, c.AdminToken(i)).Status(ctx)
			if err == nil && st.Redundancy != nil && st.Redundancy.Waiting > 0 {
				why = st.Redundancy.WaitingWhy
				return true
			}
		}
		return false
	})
	t.Logf("status: repair waits: %s", why)
	if !strings.Contains(why, "member cap") && !strings.Contains(why, "jurisdiction") {
		t.Fatalf("repair waits because %q, want the constraint named (member cap for the plain object, jurisdiction for the first)", why)
	}
	auditOK(t, ctx, admin, plain, 4)  // repair broke nothing while it waited
	auditOK(t, ctx, admin, before, 3) // nor for the jurisdiction object: JP's shards wait (TW, FR at 2)
}

// auditOK fails unless verify's placement audit of p holds for every stripe and each stripe has
// at least shards shards found.
func auditOK(t *testing.T, ctx context.Context, cl *api.Client, p string, shards int) {
	t.Helper()
	v, err := cl.Verify(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Placement == nil || !v.Placement.OK {
		t.Fatalf("placement audit of %s: %+v (problems %v)", p, v.Placement, v.Problems)
	}
	for _, s := range v.Placement.Stripes {
		found := 0
		for _, h := range s.Shards {
			if h.Node != "" {
				found++
			}
		}
		if found < shards || len(s.Breaches) > 0 {
			t.Fatalf("stripe %d of %s: %d shards found (want at least %d), breaches %v: %+v", s.Index, p, found, shards, s.Breaches, s.Shards)
		}
	}
	t.Logf("%s: %d stripes, placement audit ok (member cap %d, region cap %d)", p, len(v.Placement.Stripes), v.Placement.MemberCap, v.Placement.RegionCap)
}
