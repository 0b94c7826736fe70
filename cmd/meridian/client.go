package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/signal"
	"syscall"

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
	return cf
}

// client builds an API client. Endpoints come from --endpoint, else the config; the token
// from --token, else $MERIDIAN_TOKEN, else the config. The config file is needed only when
// no --endpoint is given or --config is set explicitly.
func (cf *clientFlags) client(cmd *cobra.Command, opts ...api.Option) (*api.Client, error) {
	endpoints, token := cf.endpoints, cf.token
	if token == "" {
		token = os.Getenv("MERIDIAN_TOKEN")
	}
	if len(endpoints) == 0 || token == "" {
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
		}
	}
	return api.NewClient(endpoints, token, opts...)
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
	c, err := cf.client(cmd)
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
