package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the answering node's view of the federation: leader, peers, objects, redundancy",
		Args:  usageArgs(cobra.NoArgs),
	}
	cf := addClientFlags(cmd)
	all := cmd.Flags().Bool("all", false, "ask every configured node and add up the federation's redundancy (each node counts the stripes it repairs)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *all {
			return callAndShow(cmd, cf, allStatus, printAllStatus)
		}
		return callAndShow(cmd, cf, func(ctx context.Context, c *api.Client) (*api.Status, error) { return c.Status(ctx) }, printStatus)
	}
	return cmd
}

func printStatus(w io.Writer, st *api.Status) error {
	tw := newTable(w)
	n := st.Node
	fmt.Fprintf(tw, "node\t%s (%s, %s)\n", n.PeerID, n.Member, n.State)
	leader := st.Leader
	if leader == "" {
		leader = "none (no quorum: writes are refused until a majority of voters is back)"
	}
	fmt.Fprintf(tw, "leader\t%s\n", leader)
	fmt.Fprintf(tw, "term\t%d\n", st.Term)
	fmt.Fprintf(tw, "applied index\t%d\n", st.Applied)
	fmt.Fprintf(tw, "connected peers\t%d\n", st.Peers)
	if st.Objects != nil {
		fmt.Fprintf(tw, "objects\t%d\n", *st.Objects)
	} else {
		fmt.Fprintf(tw, "objects\tshown to admins of member %q only\n", st.Node.Member)
	}
	printTLSStatus(tw, st)
	if n.Used > 0 || n.Free > 0 {
		fmt.Fprintf(tw, "storage\t%s used, %s free\n", humanBytes(n.Used), humanBytes(n.Free))
	}
	if r := st.Redundancy; r != nil {
		// Each stripe has exactly one responsible node (repair's deterministic choice), which
		// counts it: a node's counts are its share, and the nodes' counts add up to the whole.
		fmt.Fprintf(tw, "stripes\t%d full, %d degraded, %d critical, %d lost (those this node repairs; the nodes' counts add up to the federation's)\n", r.Full, r.Degraded, r.Critical, r.Lost)
		fmt.Fprintf(tw, "repair queue\t%d\n", r.RepairQueue)
		if r.Waiting > 0 {
			fmt.Fprintf(tw, "repair waits\t%d stripes: no node that answers may take their missing shards within the catalog's constraints (%s)\n", r.Waiting, r.WaitingWhy)
		}
		if r.ScrubAge != "" {
			fmt.Fprintf(tw, "scrub age\t%s\n", r.ScrubAge)
		}
		if !r.Measured.IsZero() {
			// The counts are those of the node's last repair pass, which may be minutes old
			// and predate nodes that came back since: say how old.
			fmt.Fprintf(tw, "measured\t%s (%v ago, by the last repair pass)\n", r.Measured.Format(time.RFC3339), time.Since(r.Measured).Round(time.Second))
		}
	} else {
		fmt.Fprintf(tw, "stripes\tnot known yet: the node's first repair pass has not finished (it waits until the node has caught up with the federation)\n")
	}
	return tw.Flush()
}

func newMembersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "members", Short: "List the federation's members", Args: usageArgs(cobra.NoArgs)}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return callAndShow(cmd, cf, listMembers, printMembers)
	}
	return cmd
}

func listMembers(ctx context.Context, c *api.Client) ([]api.Member, error) {
	ms, err := c.Members(ctx)
	return nonNil(ms), err
}

func printMembers(w io.Writer, ms []api.Member) error {
	tw := newTable(w, "ID", "NAME", "REGION")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.ID, m.Name, m.Region)
	}
	return tw.Flush()
}

func newNodesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "nodes", Short: "List the federation's nodes", Args: usageArgs(cobra.NoArgs)}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return callAndShow(cmd, cf, listNodes, printNodes)
	}
	return cmd
}

func listNodes(ctx context.Context, c *api.Client) ([]api.NodeInfo, error) {
	ns, err := c.Nodes(ctx)
	return nonNil(ns), err
}

func printNodes(w io.Writer, ns []api.NodeInfo) error {
	tw := newTable(w, "PEER", "MEMBER", "ROLE", "STATE", "CONNECTED", "API", "USED")
	for _, n := range ns {
		role := "non-voter"
		if n.Voter {
			role = "voter"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\t%s\n", n.PeerID, n.Member, role, n.State, n.Connected, orUnknown(n.API), nodeUsed(n))
	}
	return tw.Flush()
}

// nodeUsed is a node's storage use, or "-" when the answering node does not know it (it
// reports storage for itself only; an empty store still reports its free space).
func nodeUsed(n api.NodeInfo) string {
	if n.Used == 0 && n.Free == 0 {
		return "-"
	}
	return humanBytes(n.Used)
}

func orUnknown(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
