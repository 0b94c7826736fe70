package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meridian-fed/meridian/node"
)

// nodeFlags are the settings shared by node init, node run, node join and federation init.
// Only flags the user set override node.yaml and MERIDIAN_* variables.
type nodeFlags struct {
	dataDir string
	member  string
	region  string
	listen  []string
	apiAddr string
	cap     int64
	tls     tlsFlags
	access  accessFlags
}

func (f *nodeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "meridian-data", "the node's data directory")
	fs.StringVar(&f.member, "member", "", "member (institution) id this node belongs to, e.g. nchc")
	fs.StringVar(&f.region, "region", "", "ISO 3166 country code of the member (for a new member)")
	fs.StringSliceVar(&f.listen, "listen", nil, "libp2p listen multiaddrs (TCP), e.g. /ip4/0.0.0.0/tcp/4040")
	fs.StringVar(&f.apiAddr, "api-addr", "", "HTTP API address host:port")
	fs.Int64Var(&f.cap, "capacity", 0, "bytes of shard storage offered (0: the disk's free space)")
	f.tls.register(fs)
	f.access.register(fs)
}

// overrides returns the config keys of the flags the user set.
func (f *nodeFlags) overrides(fs *pflag.FlagSet) map[string]any {
	o := map[string]any{}
	set := func(name, key string, v any) {
		if fs.Changed(name) {
			o[key] = v
		}
	}
	set("member", "member", f.member)
	set("listen", "listen", f.listen)
	set("api-addr", "api_addr", f.apiAddr)
	set("capacity", "capacity", f.cap)
	f.tls.overrides(fs, set)
	f.access.overrides(set)
	return o
}

// config builds the node config from defaults, node.yaml, environment and flags.
func (f *nodeFlags) config(fs *pflag.FlagSet) (node.Config, error) {
	return node.LoadConfig(f.dataDir, f.overrides(fs))
}

// initIfNeeded initialises the data dir unless it already holds a node.
func (f *nodeFlags) initIfNeeded(fs *pflag.FlagSet) (node.Config, error) {
	if _, err := os.Stat(f.dataDir + "/" + node.ConfigFile); err == nil {
		return f.config(fs)
	}
	cfg := f.initConfig()
	if _, err := node.Init(cfg); err != nil {
		return cfg, err
	}
	return f.config(fs)
}

// initConfig is the config of a new node: the defaults for its data dir, with the flags.
func (f *nodeFlags) initConfig() node.Config {
	cfg := node.DefaultConfig(f.dataDir)
	cfg.Member = f.member
	if len(f.listen) > 0 {
		cfg.Listen = f.listen
	}
	if f.apiAddr != "" {
		cfg.APIAddr = f.apiAddr
	}
	cfg.Capacity = f.cap
	cfg.TLSCert, cfg.TLSKey, cfg.InsecurePlainHTTP, cfg.APIURL = f.tls.cert, f.tls.key, f.tls.plain, f.tls.apiURL
	return cfg
}

// runUntilSignal keeps n running until SIGINT or SIGTERM, then stops it gracefully.
func runUntilSignal(cmd *cobra.Command, n *node.Node) error {
	ctx, stop := commandContext(cmd)
	defer stop()
	fmt.Fprintf(cmd.ErrOrStderr(), "node %s running: API %s, p2p %v\n", n.PeerID(), n.APIURL(), n.P2PAddrs())
	printTLS(cmd.ErrOrStderr(), n)
	<-ctx.Done()
	fmt.Fprintln(cmd.ErrOrStderr(), "stopping")
	return n.Close()
}

func newNodeCmd() *cobra.Command {
	c := &cobra.Command{Use: "node", Short: "Run and manage a Meridian node (daemon)"}
	c.AddCommand(newNodeInitCmd(), newNodeRunCmd(), newNodeJoinCmd(),
		newNodeStateCmd("drain", "draining", "Move a node's shards away before it leaves; it is marked gone when empty"),
		newNodeStateCmd("activate", "active", "Take a draining node back into service"),
		newNodeStateCmd("remove", "gone", "Remove a node for good now (repair rebuilds its shards elsewhere)"),
		newNodeScrubCmd(), newNodePinCmd())
	return c
}

func newNodeInitCmd() *cobra.Command {
	var f nodeFlags
	c := &cobra.Command{
		Use:   "init",
		Short: "Create a node's data dir: identity key, member age key, node.yaml",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := f.initConfig()
			id, err := node.Init(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %s initialised in %s (member %s)\n", id, f.dataDir, cfg.Member)
			return nil
		},
	}
	f.register(c.Flags())
	return c
}

func newNodeRunCmd() *cobra.Command {
	var f nodeFlags
	c := &cobra.Command{
		Use:   "run",
		Short: "Run a node of a federation it already belongs to",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd.Flags())
			if err != nil {
				return err
			}
			n, err := node.Start(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			return runUntilSignal(cmd, n)
		},
	}
	f.register(c.Flags())
	return c
}

func newNodeJoinCmd() *cobra.Command {
	var f nodeFlags
	var tokenFile, inviteFile string
	c := &cobra.Command{
		Use:   "join [INVITE] | join --invite-file PATH|-",
		Short: "Join a federation with an invite from 'meridian federation invite', then keep running",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := inviteText(cmd, args, inviteFile)
			if err != nil {
				return err
			}
			iv, err := node.DecodeInvite(text)
			if err != nil {
				return err
			}
			if f.member == "" {
				f.member = iv.Member
			}
			cfg, err := f.initIfNeeded(cmd.Flags())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), joinTimeout)
			defer cancel()
			n, token, err := node.Join(ctx, cfg, iv, node.JoinSpec{Region: f.region, AdminTokenTo: tokenFile})
			if err != nil {
				return err
			}
			if token != "" && tokenFile == "" {
				fmt.Fprintf(cmd.OutOrStdout(), "new member %s: admin token (shown once): %s\n", cfg.Member, token)
			}
			return runUntilSignal(cmd, n)
		},
	}
	f.register(c.Flags())
	c.Flags().StringVar(&tokenFile, "admin-token-file", "", "write a new member's first admin token to this file")
	c.Flags().StringVar(&inviteFile, "invite-file", "", "read the invite from this file (- for standard input), keeping it out of the process list")
	return c
}
