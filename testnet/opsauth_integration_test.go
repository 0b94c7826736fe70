//go:build integration

package testnet

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationOpsAuth checks, over real nodes of two members, who may act on and watch a
// node: an admin of m2 cannot start a full scrub on m1's node (through the API or the node's
// own method), while m1's admin can; docs/node.md "Who may act on a node".
func TestIntegrationOpsAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// m1's node keeps the defaults; m2's allows metrics to a network the test is not on,
	// and shows the public part of its status to anonymous callers.
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 2, Members: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) {
			if cfg.Member == "m2" {
				cfg.MetricsAllow, cfg.StatusAccess = []string{"192.0.2.0/24"}, "open"
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Run("scrub", func(t *testing.T) { opsAuthScrub(t, ctx, c) })
	t.Run("drain", func(t *testing.T) { opsAuthDrain(t, ctx, c) })
	t.Run("metrics", func(t *testing.T) { opsAuthMetrics(t, ctx, c) })
	t.Run("status", func(t *testing.T) { opsAuthStatus(t, ctx, c) })
}

// only returns a client of node i alone (no failover to another node) with tok.
func only(t *testing.T, c *Cluster, i int, tok string) *api.Client {
	cl, err := api.NewClient([]string{c.URL(i)}, tok, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func opsAuthScrub(t *testing.T, ctx context.Context, c *Cluster) {
	m2 := c.MemberTokens["m2"]
	if m2 == "" {
		t.Fatalf("no admin token of m2 (have %v)", len(c.MemberTokens))
	}
	_, err := only(t, c, 0, m2).Scrub(ctx) // node 0 is m1's
	if !errs.Is(err, errs.Permission) || !strings.Contains(err.Error(), `ask an admin of member "m1"`) {
		t.Errorf("m2's admin scrubbing m1's node over the API: %v, want permission naming m1", err)
	}
	sub := api.Subject{Member: "m2", User: "admin", Roles: []string{"admin"}}
	if _, err := c.Node(0).Scrub(ctx, sub); !errs.Is(err, errs.Permission) {
		t.Errorf("m2's admin scrubbing m1's node directly: %v, want permission", err)
	}
	if _, err := only(t, c, 0, c.Token).Scrub(ctx); err != nil {
		t.Errorf("m1's admin scrubbing m1's node: %v", err)
	}
	if _, err := only(t, c, 1, m2).Scrub(ctx); err != nil {
		t.Errorf("m2's admin scrubbing m2's node: %v", err)
	}
}

// getMetrics fetches node i's /metrics over HTTPS from loopback without a token.
func getMetrics(t *testing.T, ctx context.Context, c *Cluster, i int) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(i)+"/metrics", nil)
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func opsAuthMetrics(t *testing.T, ctx context.Context, c *Cluster) {
	if code, body := getMetrics(t, ctx, c, 0); code != 200 || !strings.Contains(body, "meridian_http_requests_total") {
		t.Errorf("m1's node (default: loopback) from loopback: %d", code)
	}
	code, body := getMetrics(t, ctx, c, 1)
	if code != http.StatusForbidden || !strings.Contains(body, "metrics_allow") || strings.Contains(body, "meridian_http") {
		t.Errorf("m2's node (allows 192.0.2.0/24) from loopback: %d %.200s, want 403 naming metrics_allow", code, body)
	}
}

func opsAuthStatus(t *testing.T, ctx context.Context, c *Cluster) {
	_, err := only(t, c, 0, "").Status(ctx)
	if !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "status_access") {
		t.Errorf("anonymous status of m1's node (default: token): %v, want unauthenticated naming status_access", err)
	}
	if st, err := only(t, c, 0, c.Token).Status(ctx); err != nil || len(st.Node.Addrs) == 0 {
		t.Errorf("status of m1's node with a token: %+v, %v", st, err)
	}
	pub, err := only(t, c, 1, "").Status(ctx)
	if err != nil || pub.Node.PeerID != c.Node(1).PeerID().String() || pub.Leader == "" {
		t.Fatalf("anonymous status of m2's node (open): %+v, %v", pub, err)
	}
	if len(pub.Node.Addrs) != 0 || pub.Redundancy != nil || pub.Warnings != nil || pub.Node.Used != 0 {
		t.Errorf("anonymous status shows what a token holder sees: %+v", pub)
	}
	if st, err := only(t, c, 1, c.MemberTokens["m2"]).Status(ctx); err != nil || len(st.Node.Addrs) == 0 {
		t.Errorf("status of m2's node with a token: %+v, %v", st, err)
	}
}

// opsAuthDrain: draining a node follows the same rule as scrubbing it (the catalog checks
// it, catalog.SetNodeState): an admin of m2 cannot drain m1's node, and the node stays active.
func opsAuthDrain(t *testing.T, ctx context.Context, c *Cluster) {
	peer := c.Node(0).PeerID().String()
	_, err := only(t, c, 1, c.MemberTokens["m2"]).SetNodeState(ctx, peer, "draining")
	if !errs.Is(err, errs.Permission) {
		t.Errorf("m2's admin draining m1's node: %v, want permission", err)
	}
	ns, err := only(t, c, 0, c.Token).Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.PeerID == peer && n.State != "active" {
			t.Errorf("m1's node is %s after m2's refused drain", n.State)
		}
	}
}
