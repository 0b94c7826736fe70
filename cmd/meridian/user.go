package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

func newUserCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add users, issue and revoke their tokens (admins)",
	}
	cf := addClientFlags(cmd)
	cmd.AddCommand(newUserAddCmd(cf), newUserTokenCmd(cf), newUserRevokeCmd(cf), newUserLsCmd(cf))
	return cmd
}

func newUserAddCmd(cf *clientFlags) *cobra.Command {
	var u api.User
	cmd := &cobra.Command{
		Use:   "add ID --roles read,publish",
		Short: "Add a user and print its first token (shown once)",
		Args:  usageArgs(cobra.ExactArgs(1)),
	}
	cmd.Flags().StringVar(&u.Member, "member", "", "member the user belongs to (default: yours)")
	cmd.Flags().StringSliceVar(&u.Roles, "roles", []string{"read"}, "roles: read, publish, admin")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		u.ID = args[0]
		return tokenCall(cmd, cf, func(c *api.Client) (*api.NewToken, error) {
			ctx, cancel := commandContext(cmd)
			defer cancel()
			return c.AddUser(ctx, u)
		})
	}
	return cmd
}

func newUserTokenCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "token ID",
		Short: "Issue another token for a user (shown once)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tokenCall(cmd, cf, func(c *api.Client) (*api.NewToken, error) {
				ctx, cancel := commandContext(cmd)
				defer cancel()
				return c.AddToken(ctx, args[0])
			})
		},
	}
}

// tokenCall runs call and prints the new token: the secret alone on stdout (so it can be
// captured), its id and a warning on stderr.
func tokenCall(cmd *cobra.Command, cf *clientFlags, call func(*api.Client) (*api.NewToken, error)) error {
	c, err := cf.client(cmd)
	if err != nil {
		return err
	}
	t, err := call(c)
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(cmd.OutOrStdout(), t)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "token %s for user %s; it is shown only this once, keep it safe:\n", t.ID, t.User)
	_, err = fmt.Fprintln(cmd.OutOrStdout(), t.Secret)
	return err
}

func newUserRevokeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID TOKENID",
		Short: "Revoke one of a user's tokens (see 'user ls' for the ids)",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := commandContext(cmd)
			defer cancel()
			if err := c.RevokeToken(ctx, args[0], args[1]); err != nil {
				return err
			}
			if cf.json {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"user": args[0], "revoked": args[1]})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s of user %s\n", args[1], args[0])
			return err
		},
	}
}

func newUserLsCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List users, their roles and token ids",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := commandContext(cmd)
			defer cancel()
			users, err := c.Users(ctx)
			if err != nil {
				return err
			}
			if cf.json {
				return writeJSON(cmd.OutOrStdout(), nonNil(users))
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tMEMBER\tROLES\tTOKENS")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Member, strings.Join(u.Roles, ","), strings.Join(u.Tokens, ","))
			}
			return tw.Flush()
		},
	}
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
