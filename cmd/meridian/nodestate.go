package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newNodeStateCmd builds `meridian node drain|activate|remove PEER`: drain moves a node's
// shards away (the node marks itself gone once it holds none), activate takes a draining node
// back, remove marks a node gone at once (its shards are then rebuilt by repair).
func newNodeStateCmd(use, state, short string) *cobra.Command {
	cmd := &cobra.Command{Use: use + " PEER", Short: short, Args: usageArgs(cobra.ExactArgs(1))}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := cf.client(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(cmd)
		defer cancel()
		n, err := c.SetNodeState(ctx, args[0], state)
		if err != nil {
			return err
		}
		if cf.json {
			return writeJSON(cmd.OutOrStdout(), n)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "node %s (%s) is now %s\n", n.PeerID, n.Member, n.State)
		return nil
	}
	return cmd
}
