//go:build integration

package testnet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// TestIntegrationOpsAuth checks, over real nodes of two members, who may act on and watch a
// node: an admin of m2 cannot start a full scrub on m1's node (through the API or the node's
// own method), while m1's admin can; docs/node.md "Who may act on a node".
func TestIntegrationOpsAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 2, Members: 2, StripeSize: stripe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Run("scrub", func(t *testing.T) { opsAuthScrub(t, ctx, c) })
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
