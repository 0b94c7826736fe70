package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/p2p"
)

const joinTimeout = 2 * time.Minute

func newFederationCmd() *cobra.Command {
	c := &cobra.Command{Use: "federation", Short: "Create a federation and invite nodes into it"}
	c.AddCommand(newFederationInitCmd(), newFederationInviteCmd())
	addGovernanceCmds(c)
	return c
}

func newFederationInitCmd() *cobra.Command {
	var f nodeFlags
	var spec node.FederationSpec
	c := &cobra.Command{
		Use:   "init",
		Short: "Create a new federation with this node as its first voter, then keep running",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.member == "" {
				return usageError{fmt.Errorf("--member is required: the id of your institution, e.g. --member nchc")}
			}
			cfg, err := f.initIfNeeded(cmd.Flags())
			if err != nil {
				return err
			}
			spec.Region = f.region
			ctx, cancel := context.WithTimeout(cmd.Context(), joinTimeout)
			defer cancel()
			n, token, err := node.InitFederation(ctx, cfg, spec)
			if err != nil {
				return err
			}
			printFederationCreated(cmd.OutOrStdout(), cfg.DataDir, spec, token)
			return runUntilSignal(cmd, n)
		},
	}
	f.register(c.Flags())
	fl := c.Flags()
	fl.StringVar(&spec.Name, "name", "meridian", "federation name")
	fl.StringVar(&spec.MemberName, "member-name", "", "display name of the first member")
	fl.IntVar(&spec.K, "k", 3, "default data shards per stripe")
	fl.IntVar(&spec.M, "m", 2, "default parity shards per stripe")
	fl.StringVar(&spec.AdminUser, "admin-user", "admin", "id of the first admin user")
	fl.StringVar(&spec.AdminTokenTo, "admin-token-file", "", "write the admin token to this file instead of printing it")
	return c
}

// printFederationCreated says the federation exists, the fingerprint of its key (so that
// operators can compare it out of band) and where the admin token is.
func printFederationCreated(w io.Writer, dataDir string, spec node.FederationSpec, token string) {
	psk, _ := os.ReadFile(filepath.Join(dataDir, node.SwarmKeyFile))
	fp := "?"
	if k, err := p2p.DecodePSK(psk); err == nil {
		fp = p2p.Fingerprint(k)
	}
	fmt.Fprintf(w, "federation %q created; federation key fingerprint %s\n", spec.Name, fp)
	if spec.AdminTokenTo == "" {
		fmt.Fprintf(w, "admin token (shown once, keep it safe): %s\n", token)
	} else {
		fmt.Fprintf(w, "admin token written to %s\n", spec.AdminTokenTo)
	}
}

func newFederationInviteCmd() *cobra.Command {
	var dataDir, member string
	var voter bool
	var ttl time.Duration
	c := &cobra.Command{
		Use:   "invite --member ID [--voter]",
		Short: "Print a one-time invite for a new node, redeemed by the (running) node in --data-dir",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if member == "" {
				return usageError{fmt.Errorf("--member is required: the member the new node will belong to")}
			}
			if st, err := os.Stat(dataDir); err != nil || !st.IsDir() {
				return errs.Errorf("federation invite", errs.NotExist, "no node data dir at %s: run this next to a running node of the federation, or pass its --data-dir", dataDir)
			}
			inv, err := node.IssueInvite(dataDir, member, voter, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), inv)
			if url, pin, err := node.ReadAPIIdentity(dataDir); err == nil && pin != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "the new member's client config can pin this node: endpoint %s, pin %s\n", url, pin)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dataDir, "data-dir", "meridian-data", "data dir of a running node of the federation (you must be its operator)")
	c.Flags().StringVar(&member, "member", "", "member id of the new node (a new id creates the member when it joins)")
	c.Flags().BoolVar(&voter, "voter", false, "make the new node a Raft voter (trusted member)")
	c.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the invite stays valid")
	return c
}
