package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

func newCatalogCmd() *cobra.Command {
	return clientGroup("catalog", "Create catalogs and change who may read or publish in them",
		newCatalogCreateCmd, newCatalogGrantCmd, newCatalogScopeCmd, newCatalogShowCmd)
}

func newCatalogCreateCmd(cf *clientFlags) *cobra.Command {
	var cat api.Catalog
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a catalog owned by your member",
		Long: `Create a catalog. --scope says who may read it: member (your member's users), members:a,b
(named members), federation (all members) or public. Placement: --k data and --m parity shards per
stripe, both or neither (neither: the federation's default), --regions allowed ISO country codes,
--exclude members that must not hold shards, --jurisdiction so that no single region holds k shards
of a stripe. The catalog keeps --regions, --exclude and --jurisdiction with or without --k and --m.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	f := cmd.Flags()
	f.StringVar(&cat.Scope, "scope", "member", "member | members:a,b | federation | public")
	f.IntVar(&cat.Placement.K, "k", 0, "data shards per stripe, with --m (neither: federation default)")
	f.IntVar(&cat.Placement.M, "m", 0, "parity shards per stripe, with --k (neither: federation default)")
	f.StringSliceVar(&cat.Placement.AllowedRegions, "regions", nil, "regions allowed to hold shards, comma-separated (default: all)")
	f.StringSliceVar(&cat.Placement.ExcludedMembers, "exclude", nil, "members that must not hold shards, comma-separated")
	f.BoolVar(&cat.Placement.Jurisdiction, "jurisdiction", false, "no single region may hold k shards of a stripe")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cat.Name = args[0]
		create := func(ctx context.Context, c *api.Client) (*api.Catalog, error) { return c.CreateCatalog(ctx, cat) }
		return callAndShow(cmd, cf, create, printCatalog)
	}
	return cmd
}

func newCatalogScopeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "scope NAME SCOPE",
		Short: "Change who may read a catalog (member | members:a,b | federation | public)",
		Long: `Change a catalog's scope. Widening it lets the new members read existing objects once their
keys are re-wrapped; narrowing it refuses further reads, but cannot unlearn data already read.`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			rescope := func(ctx context.Context, c *api.Client) (*api.Catalog, error) {
				return c.UpdateCatalog(ctx, args[0], api.CatalogUpdate{Scope: &args[1]})
			}
			return callAndShow(cmd, cf, rescope, printCatalog)
		},
	}
}

func newCatalogShowCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a catalog's owner, scope, grants and placement",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			show := func(ctx context.Context, c *api.Client) (*api.Catalog, error) { return c.Catalog(ctx, args[0]) }
			return callAndShow(cmd, cf, show, printCatalog)
		},
	}
}

func printCatalog(w io.Writer, c *api.Catalog) error {
	p := c.Placement
	fmt.Fprintf(w, "catalog   %s\nowner     %s\nscope     %s\nobjects   %d\n", c.Name, c.Owner, c.Scope, c.Objects)
	fmt.Fprintf(w, "coding    %s\n", codingOf(p))
	if len(p.AllowedRegions) > 0 {
		fmt.Fprintf(w, "regions   %s\n", strings.Join(p.AllowedRegions, ","))
	}
	if len(p.ExcludedMembers) > 0 {
		fmt.Fprintf(w, "excluded  %s\n", strings.Join(p.ExcludedMembers, ","))
	}
	if p.Jurisdiction {
		fmt.Fprintln(w, "jurisdiction mode: no region holds k shards of a stripe")
	}
	for _, g := range c.Grants {
		fmt.Fprintf(w, "grant     %s to %s\n", g.Action, grantee(g))
	}
	return nil
}

func grantee(g api.Grant) string {
	if g.User != "" {
		return "user " + g.User
	}
	return "member " + g.Member
}
