package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
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
		resolve := func(ctx context.Context, c *api.Client) (*api.Object, error) { return c.Object(ctx, args[0]) }
		return callAndShow(cmd, cf, resolve, printObject)
	}
	return cmd
}

func printObject(w io.Writer, o *api.Object) error {
	r := o.Record
	tw := newTable(w)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", printable(k), printable(v))
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
		row("activity", strings.TrimPrefix(activityNote(a), " by ")) // as provenance prints it
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
