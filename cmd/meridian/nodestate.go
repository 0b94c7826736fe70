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
