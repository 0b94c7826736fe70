package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

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
		if len(args) == 0 {
			return callAndShow(cmd, cf, listCatalogs, printCatalogs)
		}
		return showPages(cmd, cf, pf, func(ctx context.Context, c *api.Client, cursor string) (*api.ObjectPage, error) {
			return c.List(ctx, args[0], cursor, pf.limit)
		})
	}
	return cmd
}

func listCatalogs(ctx context.Context, c *api.Client) ([]api.Catalog, error) {
	cats, err := c.Catalogs(ctx)
	return nonNil(cats), err
}

func printCatalogs(w io.Writer, cats []api.Catalog) error {
	tw := newTable(w, "NAME", "OWNER", "SCOPE", "K+M", "OBJECTS")
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
	f.StringVar(&o.q.Prefix, "prefix", "", "name starts with this text (case-insensitive; served by an index, unlike --name)")
	f.StringArrayVar(&o.meta, "meta", nil, "metadata key=value that must match exactly, repeatable")
	f.StringVar(&o.q.From, "from", "", "the object's time (meta datetime, else its creation time) ends at or after this RFC 3339 time or date")
	f.StringVar(&o.q.To, "to", "", "the object's time starts before this RFC 3339 time or date (dates are midnight UTC)")
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
	if o.q.From, err = searchTime("--from", o.q.From); err != nil {
		return usageError{err}
	}
	if o.q.To, err = searchTime("--to", o.q.To); err != nil {
		return usageError{err}
	}
	if o.q.BBox != "" && strings.Count(o.q.BBox, ",") != 3 {
		return usageError{fmt.Errorf("--bbox %q: write minx,miny,maxx,maxy", o.q.BBox)}
	}
	o.q.Limit = o.pf.limit
	return showPages(cmd, cf, o.pf, func(ctx context.Context, c *api.Client, cursor string) (*api.ObjectPage, error) {
		q := o.q
		q.Cursor = cursor
		return c.Search(ctx, q)
	})
}

// searchTime checks a --from or --to value: an RFC 3339 time, or a date taken as midnight UTC.
func searchTime(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return v, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("%s %q: write an RFC 3339 time such as 2024-05-01T10:00:00Z, or a date such as 2024-05-01 (midnight UTC)", flag, v)
}
