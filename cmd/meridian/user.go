package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

func newUserCmd() *cobra.Command {
	return clientGroup("user", "Add users, issue and revoke their tokens (admins)",
		newUserAddCmd, newUserTokenCmd, newUserRevokeCmd, newUserLsCmd)
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
		return tokenCall(cmd, cf, func(ctx context.Context, c *api.Client) (*api.NewToken, error) {
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
			return tokenCall(cmd, cf, func(ctx context.Context, c *api.Client) (*api.NewToken, error) {
				return c.AddToken(ctx, args[0])
			})
		},
	}
}

// tokenCall runs call and prints the new token: the secret alone on stdout (so it can be
// captured), its id and a warning on stderr.
func tokenCall(cmd *cobra.Command, cf *clientFlags, call func(context.Context, *api.Client) (*api.NewToken, error)) error {
	return callAndShow(cmd, cf, call, func(w io.Writer, t *api.NewToken) error {
		fmt.Fprintf(cmd.ErrOrStderr(), "new token for user %s (token id %s; 'meridian user revoke %s %s' revokes it); the token is shown only this once, keep it safe:\n", t.User, t.ID, t.User, t.ID)
		_, err := fmt.Fprintln(w, t.Secret)
		return err
	})
}

func newUserRevokeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID TOKENID",
		Short: "Revoke one of a user's tokens (see 'user ls' for the ids)",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, token := args[0], args[1]
			revoke := func(ctx context.Context, c *api.Client) (map[string]string, error) {
				if err := c.RevokeToken(ctx, user, token); err != nil {
					return nil, err
				}
				return map[string]string{"user": user, "revoked": token}, nil
			}
			return callAndShow(cmd, cf, revoke, func(w io.Writer, _ map[string]string) error {
				_, err := fmt.Fprintf(w, "revoked token %s of user %s\n", token, user)
				return err
			})
		},
	}
}

func newUserLsCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List users, their roles and token ids",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndShow(cmd, cf, listUsers, printUsers)
		},
	}
}

func listUsers(ctx context.Context, c *api.Client) ([]api.User, error) {
	users, err := c.Users(ctx)
	return nonNil(users), err
}

func printUsers(w io.Writer, users []api.User) error {
	tw := newTable(w, "USER", "MEMBER", "ROLES", "TOKENS")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Member, strings.Join(u.Roles, ","), strings.Join(u.Tokens, ","))
	}
	return tw.Flush()
}
