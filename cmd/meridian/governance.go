package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/api"
)

// addGovernanceCmds adds the client commands of federation governance to the federation
// group: propose, approve, proposals.
func addGovernanceCmds(fed *cobra.Command) {
	fed.AddCommand(newProposeCmd(), newProposalCloseCmd("approve", "Approve a governance proposal for your member", (*api.Client).Approve),
		newProposalCloseCmd("withdraw", "Withdraw a governance proposal your member made", (*api.Client).Withdraw), newProposalsCmd())
}

func newProposeCmd() *cobra.Command {
	var voter bool
	var peerID string
	cmd := &cobra.Command{
		Use:   "propose add-member ID --node PEER [--voter] | remove-member ID | add-voter ID | rebind-member ID --node PEER",
		Short: "Propose adding or removing a member or adding a voter; it passes once admins of a majority of the members approve",
		Long: `Propose a governance decision as an admin of your member (which approves it by proposing):

  add-member ID --node PEER [--voter]
                            admit a new member whose first node is PEER (its operator runs
                            'meridian node init' and passes on the peer ID it prints); that
                            node then joins with an invite (--voter: as a Raft voter)
  remove-member ID          retire a member: its users and nodes are cut off
  add-voter ID              let member ID register one more Raft voter (invite --voter)
  rebind-member ID --node PEER
                            member ID has no node left: let PEER join as its node with an
                            invite (without this decision no other member's node may register
                            a node for it)

The proposal passes when admins of a strict majority of the members have approved it
('meridian federation approve ID'); with three members or more no member may hold half or
more of the voters.`,
		Args: usageArgs(cobra.ExactArgs(2)),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().BoolVar(&voter, "voter", false, "add-member: the new member's first node may join as a voter")
	cmd.Flags().StringVar(&peerID, "node", "", "add-member, rebind-member: peer ID of the member's first (or next) node (required)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		req := api.ProposalRequest{Action: args[0], Member: args[1], Voter: voter, Node: peerID}
		return callAndShow(cmd, cf, func(ctx context.Context, c *api.Client) (*api.Proposal, error) {
			return c.Propose(ctx, req)
		}, showProposal)
	}
	return cmd
}

// newProposalCloseCmd builds approve or withdraw: one proposal id, call, show.
func newProposalCloseCmd(use, short string, call func(*api.Client, context.Context, uint64) (*api.Proposal, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil || id == 0 {
			return usageError{fmt.Errorf("proposal id %q must be a positive integer; list them with meridian federation proposals", args[0])}
		}
		return callAndShow(cmd, cf, func(ctx context.Context, c *api.Client) (*api.Proposal, error) {
			return call(c, ctx, id)
		}, showProposal)
	}
	return cmd
}

func newProposalsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proposals",
		Short: "List governance proposals, open, passed and withdrawn, with their approvals",
		Args:  usageArgs(cobra.NoArgs),
	}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return callAndShow(cmd, cf, func(ctx context.Context, c *api.Client) ([]api.Proposal, error) {
			ps, err := c.Proposals(ctx)
			return nonNil(ps), err
		}, printProposals)
	}
	return cmd
}

func showProposal(w io.Writer, p *api.Proposal) error { return printProposals(w, []api.Proposal{*p}) }

func printProposals(w io.Writer, ps []api.Proposal) error {
	tw := newTable(w, "ID", "ACTION", "MEMBER", "STATUS", "APPROVALS", "PROPOSER", "TIME")
	for _, p := range ps {
		action := p.Action
		if p.Voter {
			action += " (voter)"
		}
		var by []string
		for _, a := range p.Approvals {
			by = append(by, a.Member)
		}
		status := p.Status
		if p.Status == "open" {
			status = fmt.Sprintf("open (%d of %d needed)", len(p.Approvals), p.Needed)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, action, p.Member, status, strings.Join(by, ","), p.Proposer, p.Time.Format(time.RFC3339))
	}
	return tw.Flush()
}
