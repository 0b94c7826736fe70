//go:build integration

package testnet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// newJoiner initialises the data dir of a fresh node of member m (as `meridian node init`
// does) and returns its config and peer ID.
func newJoiner(t *testing.T, c *Cluster, m, name string) (node.Config, string) {
	t.Helper()
	cfg := node.DefaultConfig(filepath.Join(c.opts.Dir, name))
	cfg.Member = m
	ports, err := FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ports[0])}
	cfg.APIAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	cfg.Logger = c.opts.Logger
	id, err := node.Init(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, id.String()
}

// tryJoin joins the node of cfg with an invite redeemed by node inviter, as `meridian node
// join` does, and returns the join's error (a joined node is closed at the end of the test).
func tryJoin(t *testing.T, ctx context.Context, c *Cluster, inviter int, cfg node.Config, voter bool) error {
	_, err := joinToken(t, ctx, c, inviter, cfg, voter)
	return err
}

// joinToken is tryJoin that also returns the new member's first admin token, if any.
func joinToken(t *testing.T, ctx context.Context, c *Cluster, inviter int, cfg node.Config, voter bool) (string, error) {
	t.Helper()
	inv, err := node.IssueInvite(c.cfgs[inviter].DataDir, cfg.Member, voter, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := node.DecodeInvite(inv)
	if err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, tok, err := node.Join(jctx, cfg, iv, node.JoinSpec{Region: "DE"})
	if n != nil {
		t.Cleanup(func() { n.Close() })
	}
	return tok, err
}

// votersOf counts the voters per member in node 0's catalog.
func votersOf(t *testing.T, ctx context.Context, c *Cluster) (map[string]int, int) {
	t.Helper()
	nodes, err := c.Client(0).Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	per, total := map[string]int{}, 0
	for _, n := range nodes {
		if n.Voter && n.State != "gone" {
			per[n.Member]++
			total++
		}
	}
	return per, total
}

// TestIntegrationGovernance: one member's admin can neither add a member nor a voter alone,
// nor pass the voter cap; with the approval of a second member's admin (a majority of three)
// the member joins; the approvals and the outcome are in the audit log.
func TestIntegrationGovernance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	per, total := votersOf(t, ctx, c)
	if total != 5 || per["m1"] != 2 || per["m2"] != 2 || per["m3"] != 1 {
		t.Fatalf("testnet voters %v (total %d), want m1:2 m2:2 m3:1", per, total)
	}
	m1 := c.Client(0)
	m2 := c.ClientWithToken(1, c.MemberTokens["m2"])

	// Alone, m1 proposes; the proposal stays open and a node of m4 cannot join.
	m4cfg, m4id := newJoiner(t, c, "m4", "m4-node")
	if _, err := m1.Propose(ctx, api.ProposalRequest{Action: "add-member", Member: "m4", Voter: true}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("add-member without its first node's peer ID: %v, want invalid", err)
	}
	p, err := m1.Propose(ctx, api.ProposalRequest{Action: "add-member", Member: "m4", Voter: true, Node: m4id})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "open" || p.Needed != 2 {
		t.Fatalf("proposal by one of three members: %+v", p)
	}
	if err := tryJoin(t, ctx, c, 0, m4cfg, true); !errs.Is(err, errs.Conflict) {
		t.Fatalf("join of a member with one approval of three: err = %v, want conflict", err)
	}
	if _, err := m1.Approve(ctx, p.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second approval by the proposer's member: err = %v, want conflict", err)
	}

	// m1 may not reach half the voters: 3 of 6 is refused at the proposal.
	if _, err := m1.Propose(ctx, api.ProposalRequest{Action: "add-voter", Member: "m1"}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("add-voter giving m1 3 of 6 voters: err = %v, want conflict", err)
	}
	// m3 (1 of 5) may get a second voter, but only once a majority approves.
	av, err := m1.Propose(ctx, api.ProposalRequest{Action: "add-voter", Member: "m3"})
	if err != nil {
		t.Fatal(err)
	}
	m3 := c.ClientWithToken(2, c.MemberTokens["m3"])
	m3cfg, _ := newJoiner(t, c, "m3", "m3-voter")
	if err := tryJoin(t, ctx, c, 2, m3cfg, true); !errs.Is(err, errs.Conflict) {
		t.Fatalf("voter join with one approval of three: err = %v, want conflict", err)
	}
	if per, _ := votersOf(t, ctx, c); per["m3"] != 1 {
		t.Fatalf("m3 has %d voters after a refused voter join", per["m3"])
	}

	// A second member approves: the member is admitted and its node joins.
	passed, err := m2.Approve(ctx, p.ID)
	if err != nil || passed.Status != "passed" {
		t.Fatalf("approval by m2: %+v, %v", passed, err)
	}
	// Only the node the decision named may be m4's first node (the redeeming node is m1's).
	other, _ := newJoiner(t, c, "m4", "m4-impostor")
	if err := tryJoin(t, ctx, c, 0, other, true); !errs.Is(err, errs.Conflict) {
		t.Fatalf("join of another peer as m4's first node: err = %v, want conflict", err)
	}
	// The node refused before retries at once (a refused registration is not a bad invite),
	// and its member's first admin gets the token it made.
	tok, err := joinToken(t, ctx, c, 0, m4cfg, true)
	if err != nil {
		t.Fatalf("join after the decision passed: %v", err)
	}
	m4, err := api.NewClient([]string{m4cfg.APIAddr}, tok, api.WithTLS(api.TLSTrust{Pins: pinsOf([]string{m4cfg.DataDir})}))
	if err != nil {
		t.Fatal(err)
	}
	if us, err := m4.Users(ctx); err != nil || len(us) != 1 || us[0].ID != "m4-admin" {
		t.Fatalf("m4's first admin with the token its node made: %+v, %v", us, err)
	}
	// Only the proposer's member may withdraw the open add-voter; then nobody can approve it.
	if _, err := m3.Withdraw(ctx, av.ID); !errs.Is(err, errs.Permission) {
		t.Fatalf("withdrawal by another member: %v, want permission_denied", err)
	}
	if w, err := m1.Withdraw(ctx, av.ID); err != nil || w.Status != "withdrawn" {
		t.Fatalf("withdrawal by the proposer: %+v, %v", w, err)
	}
	if _, err := m3.Approve(ctx, av.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("approval of a withdrawn proposal: %v, want conflict", err)
	}

	// The audit log shows the proposal, the approval, that it passed, and the join.
	page, err := m1.Audit(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var proposed, approved, added bool
	for _, e := range page.Entries {
		switch {
		case e.Kind == "gov.propose" && e.Index == p.ID && strings.Contains(e.Detail, "add-member m4") && strings.Contains(e.Detail, "proposed by m1"):
			proposed = true
		case e.Kind == "gov.approve" && strings.Contains(e.Detail, "add-member m4") && strings.HasSuffix(e.Detail, "approved by m2; passed"):
			approved = e.Index == passed.Passed
		case e.Kind == "member.add" && e.Index > passed.Passed:
			added = true
		}
	}
	if !proposed || !approved || !added {
		t.Fatalf("audit log: proposed %v, approved and passed %v, member added %v", proposed, approved, added)
	}
}
