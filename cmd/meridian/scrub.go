package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newNodeScrubCmd builds `meridian node scrub`: re-hash the store of the node at the first
// endpoint now (pass --endpoint to pick it).
func newNodeScrubCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scrub", Short: "Re-hash a node's shards now; damaged ones are deleted and repaired", Args: usageArgs(cobra.NoArgs)}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := cf.client(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(cmd)
		defer cancel()
		rep, err := c.Scrub(ctx)
		if err != nil {
			return err
		}
		if cf.json {
			return writeJSON(cmd.OutOrStdout(), rep)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "scrubbed %d blocks (%s): %d corrupt, %d removed for repair, %d unreadable\n",
			rep.Blocks, humanBytes(rep.Bytes), rep.Corrupt, rep.Removed, rep.Failed)
		return nil
	}
	return cmd
}
