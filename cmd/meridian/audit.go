package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newAuditCmd() *cobra.Command {
	var from uint64
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the catalog's hash-chained audit log of accepted commands",
		Args:  usageArgs(cobra.NoArgs),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().Uint64Var(&from, "from", 0, "first log index to show")
	cmd.Flags().IntVar(&limit, "limit", 100, "entries to show")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := cf.client(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(cmd)
		defer cancel()
		page, err := c.Audit(ctx, from, limit)
		if err != nil {
			return err
		}
		if cf.json {
			page.Entries = nonNil(page.Entries)
			return writeJSON(cmd.OutOrStdout(), page)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "INDEX\tTIME\tACTOR\tKIND\tDIGEST\tCHAIN")
		for _, e := range page.Entries {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Index, e.Time.Format(time.RFC3339), e.Actor, e.Kind, e.Digest, e.Chain)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if page.Next != 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "more: add --from %d\n", page.Next)
		}
		return nil
	}
	return cmd
}
