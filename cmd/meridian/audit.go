package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meridian-fed/meridian/api"
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
		audit := func(ctx context.Context, c *api.Client) (*api.AuditPage, error) {
			page, err := c.Audit(ctx, from, limit)
			if err != nil {
				return nil, err
			}
			page.Entries = nonNil(page.Entries)
			return page, nil
		}
		return callAndShow(cmd, cf, audit, func(w io.Writer, page *api.AuditPage) error {
			return printAudit(w, cmd.ErrOrStderr(), page)
		})
	}
	return cmd
}

// printAudit prints the entries as a table on w, and on more where the next page starts.
func printAudit(w, more io.Writer, page *api.AuditPage) error {
	tw := newTable(w, "INDEX", "TIME", "ACTOR", "KIND", "DIGEST", "CHAIN")
	for _, e := range page.Entries {
		kind := e.Kind
		if e.Detail != "" { // governance: which proposal, who approved, whether it passed
			kind += " [" + e.Detail + "]"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Index, e.Time.Format(time.RFC3339), e.Actor, kind, e.Digest, e.Chain)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != 0 {
		fmt.Fprintf(more, "more: add --from %d\n", page.Next)
	}
	return nil
}
