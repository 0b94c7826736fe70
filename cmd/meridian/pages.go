package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

// pageFlags are the paging flags of ls and search.
type pageFlags struct {
	cursor string
	limit  int
	all    bool
}

func addPageFlags(cmd *cobra.Command, pf *pageFlags) {
	cmd.Flags().StringVar(&pf.cursor, "cursor", "", "start after this cursor (printed by the previous page)")
	cmd.Flags().IntVar(&pf.limit, "limit", 100, "objects per page")
	cmd.Flags().BoolVar(&pf.all, "all", false, "fetch every page")
}

// pageFetcher fetches the page of objects after cursor.
type pageFetcher func(ctx context.Context, c *api.Client, cursor string) (*api.ObjectPage, error)

// showPages fetches what the paging flags ask for and prints it as a table (JSON with --json).
func showPages(cmd *cobra.Command, cf *clientFlags, pf pageFlags, fetch pageFetcher) error {
	collect := func(ctx context.Context, c *api.Client) (*api.ObjectPage, error) {
		return collectPages(ctx, c, pf, fetch)
	}
	return callAndShow(cmd, cf, collect, func(w io.Writer, p *api.ObjectPage) error {
		return printObjectPage(w, cmd.ErrOrStderr(), p)
	})
}

// collectPages fetches pages from pf.cursor on until the end with --all, else one page.
func collectPages(ctx context.Context, c *api.Client, pf pageFlags, fetch pageFetcher) (*api.ObjectPage, error) {
	var out api.ObjectPage
	cursor := pf.cursor
	for {
		p, err := fetch(ctx, c, cursor)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, p.Objects...)
		out.Next = p.Next
		if !pf.all || p.Next == "" {
			return &out, nil
		}
		cursor = p.Next
	}
}

// printObjectPage prints a page as a table on w, and on more how to get the next page.
func printObjectPage(w, more io.Writer, p *api.ObjectPage) error {
	tw := newTable(w, "PID", "NAME", "SIZE", "PUBLISHED")
	for _, o := range p.Objects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.PID, printable(o.Record.Name), humanBytes(o.Record.Size), o.Published.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.Next != "" {
		fmt.Fprintf(more, "more: add --cursor %s (or --all)\n", p.Next)
	}
	return nil
}
