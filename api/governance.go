package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// Governance is the optional part of a Backend that runs the federation's governance:
// proposals to add or remove a member or add a voter, which pass once admins of a strict
// majority of the members approve. A backend without it answers 503 (unavailable) there.
type Governance interface {
	Propose(ctx context.Context, sub Subject, p ProposalRequest) (*Proposal, error)
	Approve(ctx context.Context, sub Subject, id uint64) (*Proposal, error)
	Withdraw(ctx context.Context, sub Subject, id uint64) (*Proposal, error)
	Proposals(ctx context.Context, sub Subject) ([]Proposal, error)
}

// ProposalRequest is the body of POST /v1/proposals.
type ProposalRequest struct {
	Action string `json:"action"` // add-member | remove-member | add-voter
	Member string `json:"member"`
	Voter  bool   `json:"voter,omitempty"` // add-member: its first node may join as a voter
	Node   string `json:"node,omitempty"`  // add-member: peer ID of its first node (required)
}

// Proposal is a governance proposal with its approvals.
type Proposal struct {
	ID        uint64             `json:"id"`
	Action    string             `json:"action"`
	Member    string             `json:"member"`
	Voter     bool               `json:"voter,omitempty"`
	Node      string             `json:"node,omitempty"`
	Proposer  string             `json:"proposer"`
	Time      time.Time          `json:"time"`
	Approvals []ProposalApproval `json:"approvals"`
	Status    string             `json:"status"`              // open | passed | withdrawn
	Passed    uint64             `json:"passed,omitempty"`    // audit index at which it passed
	Withdrawn uint64             `json:"withdrawn,omitempty"` // audit index at which it was withdrawn
	Needed    int                `json:"needed"`              // approvals a strict majority needs now
}

// ProposalApproval is one member's approval.
type ProposalApproval struct {
	Member string `json:"member"`
	User   string `json:"user"`
	Index  uint64 `json:"index"` // audit index of the approving command
}

type proposalsBody struct {
	Proposals []Proposal `json:"proposals"`
}

func (s *server) governanceRoutes() {
	s.mux.Handle("GET /v1/proposals", s.auth(s.listProposals))
	s.mux.Handle("POST /v1/proposals", s.auth(s.propose))
	s.mux.Handle("POST /v1/proposals/{id}/approve", s.auth(s.approve))
	s.mux.Handle("POST /v1/proposals/{id}/withdraw", s.auth(s.withdraw))
}

func (s *server) governance() (Governance, error) {
	g, ok := s.b.(Governance)
	if !ok {
		return nil, errs.Errorf("api.governance", errs.Unavailable, "this node does not run governance; upgrade it")
	}
	return g, nil
}

func (s *server) listProposals(w http.ResponseWriter, r *http.Request, sub Subject) error {
	g, err := s.governance()
	if err != nil {
		return err
	}
	ps, err := g.Proposals(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, proposalsBody{Proposals: nonNil(ps)})
}

func (s *server) propose(w http.ResponseWriter, r *http.Request, sub Subject) error {
	g, err := s.governance()
	if err != nil {
		return err
	}
	var p ProposalRequest
	if err := s.readJSON(w, r, &p); err != nil {
		return err
	}
	out, err := g.Propose(r.Context(), sub, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *server) approve(w http.ResponseWriter, r *http.Request, sub Subject) error {
	return s.closeProposal(w, r, sub, Governance.Approve)
}

func (s *server) withdraw(w http.ResponseWriter, r *http.Request, sub Subject) error {
	return s.closeProposal(w, r, sub, Governance.Withdraw)
}

// closeProposal runs an approval or a withdrawal of the proposal named in the path.
func (s *server) closeProposal(w http.ResponseWriter, r *http.Request, sub Subject, f func(Governance, context.Context, Subject, uint64) (*Proposal, error)) error {
	g, err := s.governance()
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return errs.Errorf("api.proposal", errs.Invalid, "proposal id %q must be a positive integer; list them with meridian federation proposals", r.PathValue("id"))
	}
	out, err := f(g, r.Context(), sub, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// Propose opens a governance proposal (its proposer's member approves it by proposing).
func (c *Client) Propose(ctx context.Context, p ProposalRequest) (*Proposal, error) {
	return sendJSON[Proposal](ctx, c, "api.Propose", http.MethodPost, "/v1/proposals", p)
}

// Approve approves proposal id for the caller's member.
func (c *Client) Approve(ctx context.Context, id uint64) (*Proposal, error) {
	return sendJSON[Proposal](ctx, c, "api.Approve", http.MethodPost, "/v1/proposals/"+strconv.FormatUint(id, 10)+"/approve", struct{}{})
}

// Withdraw withdraws proposal id (made by the caller's member).
func (c *Client) Withdraw(ctx context.Context, id uint64) (*Proposal, error) {
	return sendJSON[Proposal](ctx, c, "api.Withdraw", http.MethodPost, "/v1/proposals/"+strconv.FormatUint(id, 10)+"/withdraw", struct{}{})
}

// Proposals lists every governance proposal, open, passed and withdrawn.
func (c *Client) Proposals(ctx context.Context) ([]Proposal, error) {
	var out proposalsBody
	err := c.get(ctx, "api.Proposals", "/v1/proposals", nil, &out)
	return out.Proposals, err
}
