package testnet

import (
	"context"
	"fmt"
	"slices"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// Governance in a testnet: a new member, and every voter, needs a proposal that admins of a
// majority of the members approve. The testnet holds an admin token of every member, so it
// plays each member's operator: the first admin (of m1) proposes, the admins of the other
// members approve, each through a node of their own member.

// joinOrder is the order in which nodes join: the first nodes of m1 and m2, then the other
// nodes of m1 and m2, then the rest in index order. While the federation has fewer than
// three members the voter cap does not apply, so the 5-node, 3-member testnet reaches five
// voters (2, 2, 1), which no order reaches one voter at a time once m3 exists (its fourth
// voter would give some member 2 of 4).
func joinOrder(nodes, members int) []int {
	var first, rest []int
	for i := 0; i < nodes; i++ {
		if members < 3 || i%members < 2 {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	return append(first, rest...)
}

// firstPhaseVoter decides for the nodes of m1 and m2 that join before the third member is
// admitted (joinOrder): the catalog admits the third member with its voter only if neither
// of the first two then holds half or more of the voters, so both must hold the same number.
// Each gets as many voters as the smaller of the two has nodes; the rest join as non-voters.
// decided is false for the nodes that join later, which wantVoter decides.
func firstPhaseVoter(i, nodes, members int) (voter, decided bool) {
	if members < 3 {
		return true, true // no cap below three members
	}
	if i%members >= 2 {
		return false, false
	}
	count := func(m int) int { return (nodes - m + members - 1) / members } // nodes j < nodes with j%members == m
	return i/members < min(count(0), count(1)), true
}

// voterFor is whether node i, of member m, joins as a voter, given the registered nodes.
func voterFor(i, nodes, members int, registered []api.NodeInfo, m string) bool {
	if v, ok := firstPhaseVoter(i, nodes, members); ok {
		return v
	}
	return wantVoter(registered, m)
}

// wantVoter says whether a new node of member m joins as a voter, given the registered
// nodes: yes unless, with three members or more, m would then hold half or more of the
// voters (the catalog refuses that).
func wantVoter(nodes []api.NodeInfo, m string) bool {
	members := map[string]bool{m: true}
	total, mine := 0, 0
	for _, n := range nodes {
		if n.State == "gone" {
			continue
		}
		members[n.Member] = true
		if n.Voter {
			total++
			if n.Member == m {
				mine++
			}
		}
	}
	return len(members) < 3 || 2*(mine+1) < total+1
}

// admitter passes the decisions a new node needs before it joins.
type admitter struct {
	proposer  *api.Client            // the first admin (of m1)
	approvers map[string]*api.Client // admins of the other members, by member
}

// admit passes what node peerID of member m needs to join: add-member (naming the node, with
// a voter when voter) for a new member, add-voter for a voter of an existing member, nothing otherwise.
func (a admitter) admit(ctx context.Context, m, peerID string, isNew, voter bool) error {
	var req api.ProposalRequest
	switch {
	case isNew:
		req = api.ProposalRequest{Action: "add-member", Member: m, Voter: voter, Node: peerID}
	case voter:
		req = api.ProposalRequest{Action: "add-voter", Member: m}
	default:
		return nil
	}
	ids := make([]string, 0, len(a.approvers))
	for id := range a.approvers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var approvers []*api.Client
	for _, id := range ids {
		approvers = append(approvers, a.approvers[id])
	}
	_, err := passProposal(ctx, req, a.proposer, approvers)
	if err != nil {
		return fmt.Errorf("admitting a node of %s: %w", m, err)
	}
	return nil
}

// passProposal proposes req through proposer and has the approvers approve it until it
// passes. A proposal or approval whose outcome is unknown (the leader changed while
// committing it) is settled by reading the proposals, as the error says to, and sent again
// only when it did not take effect: approvals are not idempotent.
func passProposal(ctx context.Context, req api.ProposalRequest, proposer *api.Client, approvers []*api.Client) (*api.Proposal, error) {
	p, err := proposeSettled(ctx, req, proposer)
	if err != nil {
		return nil, err
	}
	for _, a := range approvers {
		if p.Status == "passed" {
			break
		}
		// The approver's node may still be catching up after its own join: wait until it
		// answers a linearizable read, then approve once.
		if err := waitFor(ctx, func() error { _, err := a.Proposals(ctx); return err }); err != nil {
			return nil, err
		}
		if p, err = approveSettled(ctx, a, p); err != nil {
			return nil, err
		}
	}
	if p.Status != "passed" {
		return p, errs.Errorf("testnet.passProposal", errs.Conflict, "proposal %d (%s %s) has %d approvals of %d needed and no admin left to approve", p.ID, p.Action, p.Member, len(p.Approvals), p.Needed)
	}
	return p, nil
}

// outcomeUnknown reports an error after which a command may or may not have been applied.
func outcomeUnknown(err error) bool {
	return errs.Is(err, errs.Unavailable) || errs.Is(err, errs.Timeout)
}

// proposeSettled proposes req; after an unknown outcome it looks for the open proposal it may
// have made before proposing again.
func proposeSettled(ctx context.Context, req api.ProposalRequest, c *api.Client) (*api.Proposal, error) {
	for {
		p, err := c.Propose(ctx, req)
		if err == nil || !outcomeUnknown(err) || ctx.Err() != nil {
			return p, err
		}
		var found *api.Proposal
		if werr := waitFor(ctx, func() error {
			ps, err := c.Proposals(ctx)
			for i := range ps {
				q := &ps[i]
				if q.Status != "withdrawn" && q.Action == req.Action && q.Member == req.Member && q.Node == req.Node && q.Voter == req.Voter {
					found = q
				}
			}
			return err
		}); werr != nil {
			return nil, werr
		}
		if found != nil {
			return found, nil
		}
	}
}

// approveSettled approves p through c; after an unknown outcome it reads p again and approves
// again only when c's member's approval is not there.
func approveSettled(ctx context.Context, c *api.Client, p *api.Proposal) (*api.Proposal, error) {
	for {
		q, err := c.Approve(ctx, p.ID)
		if err == nil || !outcomeUnknown(err) || ctx.Err() != nil {
			return q, err
		}
		var now *api.Proposal
		if werr := waitFor(ctx, func() error {
			ps, err := c.Proposals(ctx)
			for i := range ps {
				if ps[i].ID == p.ID {
					now = &ps[i]
				}
			}
			return err
		}); werr != nil {
			return nil, werr
		}
		if now != nil && (now.Status == "passed" || len(now.Approvals) > len(p.Approvals)) {
			return now, nil
		}
	}
}

// prepareJoin passes the decisions node i (initialised as peerID) needs and says whether it
// joins as a voter.
func (c *Cluster) prepareJoin(ctx context.Context, i int, peerID string) (voter bool, err error) {
	nodes, err := c.Client(0).Nodes(ctx)
	if err != nil {
		return false, err
	}
	m := MemberOf(i, c.opts.Members)
	voter = voterFor(i, len(c.cfgs), c.opts.Members, nodes, m)
	a := admitter{proposer: c.Client(0), approvers: map[string]*api.Client{}}
	for id, tok := range c.MemberTokens { // written only by create, which runs one at a time
		a.approvers[id] = c.clientOfMember(id, tok)
	}
	isNew := firstOfMember(i, c.opts.Members) == i
	return voter, a.admit(ctx, m, peerID, isNew, voter)
}

// clientOfMember returns a client with tok whose first endpoint is a running node of member
// m (a member's admin acts through a node of its own member).
func (c *Cluster) clientOfMember(m, tok string) *api.Client {
	for i := range c.cfgs {
		if MemberOf(i, c.opts.Members) == m && c.Node(i) != nil {
			return c.ClientWithToken(i, tok)
		}
	}
	return c.ClientWithToken(0, tok)
}
