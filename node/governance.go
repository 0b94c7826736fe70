package node

import (
	"context"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
)

var _ api.Governance = (*Node)(nil)

// Propose implements api.Governance: a governance proposal in the admin's name; the catalog
// checks who may propose what.
func (n *Node) Propose(ctx context.Context, sub api.Subject, p api.ProposalRequest) (*api.Proposal, error) {
	body := &catalog.GovPropose{Action: catalog.GovAction(p.Action), Member: p.Member, Voter: p.Voter, Node: p.Node}
	e, err := n.proposeGov(ctx, sub, body)
	if err != nil {
		return nil, err
	}
	return n.proposal(e.Index)
}

// Approve implements api.Governance.
func (n *Node) Approve(ctx context.Context, sub api.Subject, id uint64) (*api.Proposal, error) {
	if _, err := n.proposeGov(ctx, sub, &catalog.GovApprove{ID: id}); err != nil {
		return nil, err
	}
	return n.proposal(id)
}

// Withdraw implements api.Governance.
func (n *Node) Withdraw(ctx context.Context, sub api.Subject, id uint64) (*api.Proposal, error) {
	if _, err := n.proposeGov(ctx, sub, &catalog.GovWithdraw{ID: id}); err != nil {
		return nil, err
	}
	return n.proposal(id)
}

// proposeGov signs a governance command for the admin with this node's key and proposes it:
// the catalog accepts it only when signed by a node of the admin's member (catalog/gov_sig.go),
// so a leader cannot write approvals in another member's name.
func (n *Node) proposeGov(ctx context.Context, sub api.Subject, body catalog.GovBody) (catalog.AuditEntry, error) {
	fed, _ := n.state.Federation()
	catalog.SignGov(body, fed.Name, actorOf(sub), n.PeerID().String(), n.signKey)
	return n.propose(ctx, actorOf(sub), body)
}

// Proposals implements api.Governance, after a linearizable read: an admin asked to approve
// must see the proposal that was just made.
func (n *Node) Proposals(ctx context.Context, sub api.Subject) ([]api.Proposal, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("node.Proposals", errs.Unauthenticated, "listing proposals needs a token")
	}
	if err := n.raft.LinearizableRead(ctx); err != nil {
		return nil, err
	}
	needed := n.approvalsNeeded()
	var out []api.Proposal
	for _, p := range n.state.Proposals() {
		out = append(out, toAPIProposal(p, needed))
	}
	return out, nil
}

func (n *Node) proposal(id uint64) (*api.Proposal, error) {
	for _, p := range n.state.Proposals() {
		if p.ID == id {
			out := toAPIProposal(p, n.approvalsNeeded())
			return &out, nil
		}
	}
	return nil, errs.Errorf("node.proposal", errs.NotExist, "no proposal %d", id)
}

// approvalsNeeded is the strict majority of the active members.
func (n *Node) approvalsNeeded() int {
	active := 0
	for _, m := range n.state.Members() {
		if !m.Retired {
			active++
		}
	}
	return active/2 + 1
}

// auditDetail says what a governance entry did (see catalog.State.GovernanceAt).
func (n *Node) auditDetail(e catalog.AuditEntry) string {
	if e.Kind != catalog.KindGovPropose && e.Kind != catalog.KindGovApprove && e.Kind != catalog.KindGovWithdraw {
		return ""
	}
	return n.state.GovernanceAt(e.Index)
}

func toAPIProposal(p catalog.Proposal, needed int) api.Proposal {
	out := api.Proposal{ID: p.ID, Action: string(p.Action), Member: p.Member, Voter: p.Voter, Node: p.Node, Proposer: p.Proposer,
		Time: time.Unix(0, p.Time).UTC(), Status: "open", Passed: p.Passed, Needed: needed}
	switch {
	case p.Passed != 0:
		out.Status = "passed"
	case p.Withdrawn != 0:
		out.Status = "withdrawn"
	}
	out.Withdrawn = p.Withdrawn
	for _, a := range p.Approvals {
		out.Approvals = append(out.Approvals, api.ProposalApproval{Member: a.Member, User: a.User, Index: a.Index})
	}
	return out
}
