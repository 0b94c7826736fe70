package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/api"
)

// newNodeStateCmd builds `meridian node drain|activate|remove PEER`: drain moves a node's
// shards away (the node marks itself gone once it holds none), activate takes a draining node
// back, remove marks a node gone at once (its shards are then rebuilt by repair).
func newNodeStateCmd(use, state, short string) *cobra.Command {
	cmd := &cobra.Command{Use: use + " PEER", Short: short, Args: usageArgs(cobra.ExactArgs(1))}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		set := func(ctx context.Context, c *api.Client) (*api.NodeInfo, error) {
			return c.SetNodeState(ctx, args[0], state)
		}
		return callAndShow(cmd, cf, set, func(w io.Writer, n *api.NodeInfo) error {
			_, err := fmt.Fprintf(w, "node %s (%s) is now %s\n", n.PeerID, n.Member, n.State)
			return err
		})
	}
	return cmd
}

// newNodeScrubCmd builds `meridian node scrub`: re-hash the store of the node at the first
// endpoint now (pass --endpoint to pick it).
func newNodeScrubCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scrub", Short: "Re-hash a node's shards now; damaged ones are deleted and repaired", Args: usageArgs(cobra.NoArgs)}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		scrub := func(ctx context.Context, c *api.Client) (*api.ScrubReport, error) { return c.Scrub(ctx) }
		return callAndShow(cmd, cf, scrub, func(w io.Writer, r *api.ScrubReport) error {
			_, err := fmt.Fprintf(w, "scrubbed %d blocks (%s): %d corrupt, %d removed for repair, %d unreadable\n",
				r.Blocks, humanBytes(r.Bytes), r.Corrupt, r.Removed, r.Failed)
			return err
		})
	}
	return cmd
}
