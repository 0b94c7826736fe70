package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

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

func newLsCmd() *cobra.Command {
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "ls [CATALOG]",
		Short: "List the catalogs you can see, or the objects of one catalog",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
	}
	cf := addClientFlags(cmd)
	addPageFlags(cmd, &pf)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := cf.client(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(cmd)
		defer cancel()
		if len(args) == 0 {
			return listCatalogs(ctx, cmd, cf, c)
		}
		page, err := collectPages(ctx, pf.all, pf.cursor, func(ctx context.Context, cursor string) (*api.ObjectPage, error) {
			return c.List(ctx, args[0], cursor, pf.limit)
		})
		if err != nil {
			return err
		}
		return printObjectPage(cmd, cf, page)
	}
	return cmd
}

func listCatalogs(ctx context.Context, cmd *cobra.Command, cf *clientFlags, c *api.Client) error {
	cats, err := c.Catalogs(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(cmd.OutOrStdout(), nonNil(cats))
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tOWNER\tSCOPE\tK+M\tOBJECTS")
	for _, cat := range cats {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", cat.Name, cat.Owner, cat.Scope, codingOf(cat.Placement), cat.Objects)
	}
	return tw.Flush()
}

// codingOf prints a placement's k+m ("default" when the federation chooses).
func codingOf(p api.Placement) string {
	if p.K == 0 {
		return "default"
	}
	return fmt.Sprintf("%d+%d", p.K, p.M)
}

type searchOpts struct {
	q    api.Query
	meta []string
	pf   pageFlags
}

func newSearchCmd() *cobra.Command {
	var o searchOpts
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Find objects you may read by catalog, name, metadata, time and area",
		Example: `  meridian search --catalog landsat5 --from 1990-01-01T00:00:00Z --to 1991-01-01T00:00:00Z --bbox 120,21,122,26
  meridian search --name B4 --meta sensor=TM --all --json`,
		Args: usageArgs(cobra.NoArgs),
	}
	cf := addClientFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.q.Catalog, "catalog", "", "only this catalog")
	f.StringVar(&o.q.Name, "name", "", "name contains this text")
	f.StringArrayVar(&o.meta, "meta", nil, "metadata key=value that must match exactly, repeatable")
	f.StringVar(&o.q.From, "from", "", "published at or after this RFC 3339 time")
	f.StringVar(&o.q.To, "to", "", "published before this RFC 3339 time")
	f.StringVar(&o.q.BBox, "bbox", "", "intersects minx,miny,maxx,maxy")
	addPageFlags(cmd, &o.pf)
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runSearch(cmd, cf, o) }
	return cmd
}

func runSearch(cmd *cobra.Command, cf *clientFlags, o searchOpts) error {
	meta, err := parsePairs("--meta", o.meta)
	if err != nil {
		return usageError{err}
	}
	if len(meta) > 0 {
		o.q.Meta = meta
	}
	if o.q.BBox != "" && strings.Count(o.q.BBox, ",") != 3 {
		return usageError{fmt.Errorf("--bbox %q: write minx,miny,maxx,maxy", o.q.BBox)}
	}
	c, err := cf.client(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(cmd)
	defer cancel()
	o.q.Limit = o.pf.limit
	page, err := collectPages(ctx, o.pf.all, o.pf.cursor, func(ctx context.Context, cursor string) (*api.ObjectPage, error) {
		q := o.q
		q.Cursor = cursor
		return c.Search(ctx, q)
	})
	if err != nil {
		return err
	}
	return printObjectPage(cmd, cf, page)
}
