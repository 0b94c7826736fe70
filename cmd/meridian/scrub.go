package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/api"
)

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
