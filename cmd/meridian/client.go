package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

// clientFlags are the flags every client command takes: where the federation is, who the
// caller is, and whether to print JSON.
type clientFlags struct {
	config    string
	endpoints []string
	token     string
	json      bool
	pins      []string
	caFile    string
}

// addClientFlags registers the client flags as persistent flags of cmd, so its subcommands
// (catalog create, user add, ...) take them too.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	cf := &clientFlags{}
	f := cmd.PersistentFlags()
	f.StringVar(&cf.config, "config", defaultClientConfigPath(), "client config file with endpoints and token ($MERIDIAN_CONFIG)")
	f.StringArrayVar(&cf.endpoints, "endpoint", nil, "node API address, repeatable, tried in order (overrides the config's list)")
	f.StringVar(&cf.token, "token", "", "bearer token (default $MERIDIAN_TOKEN, then the config's token)")
	f.BoolVar(&cf.json, "json", false, "print machine-readable JSON on stdout")
	f.StringArrayVar(&cf.pins, "pin", nil, "trust a node certificate with this public-key pin (sha256:…), repeatable, added to the config's pins")
	f.StringVar(&cf.caFile, "ca-file", "", "PEM file of CAs that signed the nodes' operator certificates (overrides the config's ca_file)")
	return cf
}

// clientGroup builds a command whose subcommands share the client flags.
func clientGroup(use, short string, subs ...func(*clientFlags) *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cf := addClientFlags(cmd)
	for _, sub := range subs {
		cmd.AddCommand(sub(cf))
	}
	return cmd
}

// client builds an API client. Endpoints come from --endpoint, else the config; the token
// from --token, else $MERIDIAN_TOKEN, else the config; trusted pins from --pin and the
// config, the CA file from --ca-file, else the config. The config file is needed only when
// no --endpoint is given or --config is set explicitly.
func (cf *clientFlags) client(cmd *cobra.Command, opts ...api.Option) (*api.Client, error) {
	endpoints, token := cf.endpoints, cf.token
	if token == "" {
		token = os.Getenv("MERIDIAN_TOKEN")
	}
	trust := api.TLSTrust{Pins: cf.pins}
	caFile := cf.caFile
	cfg, err := loadClientConfig(cf.config)
	explicit := cmd.Flags().Changed("config")
	switch {
	case err != nil && (len(endpoints) == 0 || explicit):
		return nil, err
	case err == nil:
		if len(endpoints) == 0 {
			endpoints = cfg.Endpoints
		}
		if token == "" {
			token = cfg.Token
		}
		trust.Pins = append(trust.Pins, cfg.Pins...)
		if caFile == "" {
			caFile = cfg.CAFile
		}
	}
	if caFile != "" {
		if trust.RootCAs, err = api.LoadCAFile(caFile); err != nil {
			return nil, err
		}
	}
	return api.NewClient(endpoints, token, append([]api.Option{api.WithTLS(trust)}, opts...)...)
}

// commandContext is the command's context, cancelled on SIGINT or SIGTERM so that an
// interrupted transfer cleans up after itself.
func commandContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// usageArgs marks the errors of an argument validator as usage errors (exit code 2).
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// callAndShow is the shape of most client commands: build the client, make one call under a
// signal-aware context, then print the result as JSON with --json or with show otherwise.
func callAndShow[T any](cmd *cobra.Command, cf *clientFlags, call func(context.Context, *api.Client) (T, error), show func(io.Writer, T) error) error {
	return callWith(cmd, cf, nil, call, show)
}

// transferAndShow is callAndShow for the commands that move content (put, get): on a
// terminal, a progress bar named desc is drawn on stderr while call runs.
func transferAndShow[T any](cmd *cobra.Command, cf *clientFlags, desc string, call func(context.Context, *api.Client) (T, error), show func(io.Writer, T) error) error {
	bar := newProgress(cmd.ErrOrStderr(), desc)
	tracked := func(ctx context.Context, c *api.Client) (T, error) {
		defer bar.done()
		return call(ctx, c)
	}
	return callWith(cmd, cf, bar.options(), tracked, show)
}

// callWith is callAndShow with client options.
func callWith[T any](cmd *cobra.Command, cf *clientFlags, opts []api.Option, call func(context.Context, *api.Client) (T, error), show func(io.Writer, T) error) error {
	c, err := cf.client(cmd, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(cmd)
	defer cancel()
	v, err := call(ctx, c)
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(cmd.OutOrStdout(), v)
	}
	return show(cmd.OutOrStdout(), v)
}

// newTable returns a writer that aligns tab-separated columns, with the header row written
// when one is given. Flush it when done.
func newTable(w io.Writer, header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(header) > 0 {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	return tw
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
