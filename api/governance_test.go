package api

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// govFake adds governance to the fake backend: it records what reached it.
type govFake struct {
	*fakeBackend
	asked []ProposalRequest
	ok    []uint64
}

func (g *govFake) Propose(_ context.Context, sub Subject, p ProposalRequest) (*Proposal, error) {
	g.asked = append(g.asked, p)
	return &Proposal{ID: 7, Action: p.Action, Member: p.Member, Voter: p.Voter, Proposer: sub.User, Status: "open", Needed: 2,
		Approvals: []ProposalApproval{{Member: sub.Member, User: sub.User, Index: 7}}}, nil
}

func (g *govFake) Approve(_ context.Context, sub Subject, id uint64) (*Proposal, error) {
	if id != 7 {
		return nil, errs.Errorf("fake.Approve", errs.NotExist, "no proposal %d", id)
	}
	g.ok = append(g.ok, id)
	return &Proposal{ID: id, Status: "passed", Passed: 9}, nil
}

func (g *govFake) Withdraw(_ context.Context, sub Subject, id uint64) (*Proposal, error) {
	return &Proposal{ID: id, Status: "withdrawn", Withdrawn: 10}, nil
}

func (g *govFake) Proposals(context.Context, Subject) ([]Proposal, error) {
	return []Proposal{{ID: 7, Action: "add-member", Member: "jaxa", Status: "open"}}, nil
}

// TestGovernanceRoutes: the client and the routes carry proposals and approvals both ways;
// a bad id is refused before the backend; a backend without governance answers unavailable.
func TestGovernanceRoutes(t *testing.T) {
	g := &govFake{fakeBackend: newFake()}
	ts := httptest.NewServer(NewServer(g, Options{Logger: quietLogger()}))
	t.Cleanup(ts.Close)
	c, err := NewClient([]string{ts.URL}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.Propose(ctx, ProposalRequest{Action: "add-member", Member: "jaxa", Voter: true})
	if err != nil || p.ID != 7 || p.Proposer != "root" || len(g.asked) != 1 || !g.asked[0].Voter {
		t.Fatalf("propose: %+v, %v, backend got %+v", p, err, g.asked)
	}
	if p, err := c.Approve(ctx, 7); err != nil || p.Status != "passed" {
		t.Fatalf("approve: %+v, %v", p, err)
	}
	if _, err := c.Approve(ctx, 8); !errs.Is(err, errs.NotExist) {
		t.Fatalf("approve unknown: %v", err)
	}
	if p, err := c.Withdraw(ctx, 7); err != nil || p.Status != "withdrawn" {
		t.Fatalf("withdraw: %+v, %v", p, err)
	}
	if ps, err := c.Proposals(ctx); err != nil || len(ps) != 1 || ps[0].Member != "jaxa" {
		t.Fatalf("proposals: %+v, %v", ps, err)
	}
	for _, bad := range []string{"0", "x", "-1"} {
		r := serve(t, NewServer(g, Options{Logger: quietLogger()}), "POST", "/v1/proposals/"+bad+"/approve", nil, map[string]string{"Authorization": "Bearer admin"})
		if r.Code != 400 {
			t.Errorf("approve %q: %d, want 400", bad, r.Code)
		}
	}
	if len(g.ok) != 1 {
		t.Fatalf("backend saw approvals %v, want only the valid one", g.ok)
	}
	if _, err := c.Propose(ctx, ProposalRequest{Action: "add-member", Member: "jaxa"}); err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(NewServer(newFake(), Options{Logger: quietLogger()}))
	t.Cleanup(plain.Close)
	pc, _ := NewClient([]string{plain.URL}, "admin")
	if _, err := pc.Proposals(ctx); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("backend without governance: %v, want unavailable", err)
	}
}
