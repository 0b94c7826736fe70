package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

func newResolveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resolve PID",
		Short: "Show an object's publication record and storage information",
		Args:  usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := cf.client(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(cmd)
		defer cancel()
		o, err := c.Object(ctx, args[0])
		if err != nil {
			return err
		}
		if cf.json {
			return writeJSON(cmd.OutOrStdout(), o)
		}
		return printObject(cmd.OutOrStdout(), o)
	}
	return cmd
}

func printObject(w io.Writer, o *api.Object) error {
	r := o.Record
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("pid", o.PID)
	row("name", r.Name)
	row("catalog", r.Catalog)
	row("type", r.Type)
	row("size", fmt.Sprintf("%d (%s)", r.Size, humanBytes(r.Size)))
	row("content", r.Content)
	row("sha256", r.SHA256)
	row("publisher", strings.TrimSuffix(r.Publisher.Member+"/"+r.Publisher.User, "/"))
	row("created", r.Created)
	row("published", fmt.Sprintf("%s (index %d)", o.Published.Format(time.RFC3339), o.PublishIndex))
	row("manifest", o.ManifestCID)
	if o.K > 0 {
		row("encoding", fmt.Sprintf("k=%d m=%d, %d stripes", o.K, o.M, o.Stripes))
	}
	for _, k := range sortedKeys(r.Meta) {
		row("meta."+k, r.Meta[k])
	}
	for _, d := range r.DerivedFrom {
		row("derived_from", d)
	}
	if a := r.Activity; a != nil {
		row("activity", strings.TrimSpace(a.Name+" "+a.Software))
		for _, k := range sortedKeys(a.Params) {
			row("activity."+k, a.Params[k])
		}
	}
	return tw.Flush()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// humanBytes formats n with IEC units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// collectPages fetches pages (cursor -> page) until the end when all is set, else one page.
func collectPages(ctx context.Context, all bool, cursor string, fetch func(ctx context.Context, cursor string) (*api.ObjectPage, error)) (*api.ObjectPage, error) {
	var out api.ObjectPage
	for {
		p, err := fetch(ctx, cursor)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, p.Objects...)
		out.Next = p.Next
		if !all || p.Next == "" {
			return &out, nil
		}
		cursor = p.Next
	}
}

// printObjectPage prints a page as a table, and on stderr how to get the next page.
func printObjectPage(cmd *cobra.Command, cf *clientFlags, p *api.ObjectPage) error {
	if cf.json {
		return writeJSON(cmd.OutOrStdout(), p)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tNAME\tSIZE\tPUBLISHED")
	for _, o := range p.Objects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.PID, o.Record.Name, humanBytes(o.Record.Size), o.Published.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.Next != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more: add --cursor %s (or --all)\n", p.Next)
	}
	return nil
}
