package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/spf13/cobra"
)

type grantOpts struct {
	g      api.Grant
	revoke bool
}

func newCatalogGrantCmd(cf *clientFlags) *cobra.Command {
	var o grantOpts
	cmd := &cobra.Command{
		Use:   "grant NAME (--member X | --user U) --action read|publish",
		Short: "Give (or with --revoke, take back) a member or a user a right on a catalog",
		Args:  usageArgs(cobra.ExactArgs(1)),
	}
	f := cmd.Flags()
	f.StringVar(&o.g.Member, "member", "", "member to grant to")
	f.StringVar(&o.g.User, "user", "", "user to grant to")
	f.StringVar(&o.g.Action, "action", "", "read or publish (required)")
	f.BoolVar(&o.revoke, "revoke", false, "remove the grant instead of adding it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if (o.g.Member == "") == (o.g.User == "") {
			return usageError{fmt.Errorf("name exactly one grantee: --member X or --user U")}
		}
		if o.g.Action != "read" && o.g.Action != "publish" {
			return usageError{fmt.Errorf("--action %q: use read or publish", o.g.Action)}
		}
		grant := func(ctx context.Context, c *api.Client) (*api.Catalog, error) { return o.update(ctx, c, args[0]) }
		return callAndShow(cmd, cf, grant, printCatalog)
	}
	return cmd
}

// update reads the catalog's grants, applies the change and writes the list back.
func (o grantOpts) update(ctx context.Context, c *api.Client, catalog string) (*api.Catalog, error) {
	cat, err := c.Catalog(ctx, catalog)
	if err != nil {
		return nil, err
	}
	grants, err := o.apply(cat.Grants)
	if err != nil {
		return nil, err
	}
	return c.UpdateCatalog(ctx, catalog, api.CatalogUpdate{Grants: &grants})
}

// apply adds or removes the grant. The update replaces the whole list (read, modify, write):
// two admins granting at the same moment can lose one grant; check with 'catalog show'.
func (o grantOpts) apply(grants []api.Grant) ([]api.Grant, error) {
	i := slices.Index(grants, o.g)
	switch {
	case o.revoke && i < 0:
		return nil, errs.Errorf("catalog.grant", errs.NotExist, "there is no grant of %s to %s", o.g.Action, grantee(o.g))
	case o.revoke:
		return slices.Delete(slices.Clone(grants), i, i+1), nil
	case i >= 0:
		return grants, nil
	}
	return append(slices.Clone(grants), o.g), nil
}
