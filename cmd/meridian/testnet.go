package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/testnet"
)

func newTestnetCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{Use: "testnet", Short: "A local federation on loopback, as separate node processes"}
	c.PersistentFlags().StringVar(&dir, "dir", "testnet-data", "directory of the testnet's nodes")
	c.AddCommand(newTestnetUpCmd(&dir), newTestnetDownCmd(&dir), newTestnetKillCmd(&dir), newTestnetStartCmd(&dir))
	return c
}

func newTestnetUpCmd(dir *string) *cobra.Command {
	var o testnet.ProcOptions
	var noConfig bool
	c := &cobra.Command{
		Use:   "up",
		Short: "Start a local federation (or restart a stopped one) and write the client config",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := executable()
			if err != nil {
				return err
			}
			o.Binary, o.Dir = bin, *dir
			start := time.Now()
			pc, restarted, err := upOrRestart(cmd.Context(), o)
			if err != nil {
				return err
			}
			if restarted && (cmd.Flags().Changed("nodes") || cmd.Flags().Changed("members")) {
				fmt.Fprintf(cmd.ErrOrStderr(), "a testnet exists in %s: its %d nodes were restarted as they are; --nodes and --members shape a new one ('meridian testnet down --purge' first)\n", pc.Dir, len(pc.Nodes))
			}
			paths, err := writeTestnetConfigs(pc, !noConfig)
			if err != nil {
				return err
			}
			members, err := writeMemberConfigs(pc)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "testnet of %d nodes up in %.1fs (dir %s)\n", len(pc.Nodes), time.Since(start).Seconds(), pc.Dir)
			for i, n := range pc.Nodes {
				fmt.Fprintf(out, "  node%d  member %s (%s)  api https://%s  pid %d  pin %s\n", i, n.Member, n.Region, n.API, n.PID, nodePin(n))
			}
			fmt.Fprintf(out, "client config: %v\n", paths)
			printMemberConfigs(out, members)
			fmt.Fprint(out, tryHint(bin))
			return nil
		},
	}
	c.Flags().IntVar(&o.Nodes, "nodes", 5, "number of nodes")
	c.Flags().IntVar(&o.Members, "members", 3, "number of members (nodes are dealt round-robin)")
	c.Flags().BoolVar(&noConfig, "no-client-config", false, "do not write "+defaultClientConfigPath())
	return c
}

// tryHint says what to run next. Under `go run` (the README's first command) there is no
// meridian binary to run afterwards, so it says how to build one.
func tryHint(bin string) string {
	if strings.Contains(filepath.ToSlash(bin), "/go-build") {
		return "try: go build -o meridian ./cmd/meridian && ./meridian put FILE --catalog default\n"
	}
	return "try: meridian put FILE --catalog default\n"
}

// writeTestnetConfigs writes the client config of pc into its dir and, with asDefault, to
// the default config path, and returns where it wrote.
func writeTestnetConfigs(pc *testnet.ProcCluster, asDefault bool) ([]string, error) {
	cfg := &clientConfig{Token: pc.Token, Pins: pc.Pins()}
	for _, ep := range adminFirst(pc) {
		cfg.Endpoints = append(cfg.Endpoints, "https://"+ep)
	}
	paths := []string{filepath.Join(pc.Dir, "client.json")}
	if asDefault {
		paths = append(paths, defaultClientConfigPath())
	}
	for _, p := range paths {
		if err := writeClientConfig(p, cfg); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// writeMemberConfigs writes a client config with an admin token of every member, its own
// nodes first (client-m2.json, ...), so anything can be tried as any member's admin, and
// returns the paths by member.
func writeMemberConfigs(pc *testnet.ProcCluster) (map[string]string, error) {
	out := map[string]string{}
	for m, tok := range pc.MemberTokens {
		p := filepath.Join(pc.Dir, "client-"+m+".json")
		cfg := &clientConfig{Token: tok, Pins: pc.Pins()}
		for _, ep := range pc.MemberEndpoints(m) {
			cfg.Endpoints = append(cfg.Endpoints, "https://"+ep)
		}
		if err := writeClientConfig(p, cfg); err != nil {
			return nil, err
		}
		out[m] = p
	}
	return out, nil
}

// printMemberConfigs says where each member's admin config is and how to use it.
func printMemberConfigs(w io.Writer, paths map[string]string) {
	if len(paths) == 0 {
		return
	}
	ms := make([]string, 0, len(paths))
	for m := range paths {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	fmt.Fprintln(w, "admin of each member (use with --config; governance needs a majority of members: meridian federation proposals):")
	for _, m := range ms {
		fmt.Fprintf(w, "  %s  %s\n", m, paths[m])
	}
}

// executable is the meridian binary that node processes run (a variable for tests).
var executable = os.Executable

// upOrRestart starts a new testnet in o.Dir or, when one is described there (stopped by
// 'down' or partly killed), starts its stopped nodes again with this binary (restarted).
func upOrRestart(ctx context.Context, o testnet.ProcOptions) (pc *testnet.ProcCluster, restarted bool, err error) {
	pc, err = loadTestnet(o.Dir)
	if errs.KindOf(err) == errs.NotExist {
		pc, err = testnet.UpProcesses(ctx, o)
		return pc, false, err
	}
	if err != nil {
		return nil, false, err // e.g. a damaged testnet.json: not to be overwritten
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i := range pc.Nodes {
		if err := pc.Start(ctx, i); err != nil && errs.KindOf(err) != errs.Conflict {
			return nil, true, err
		}
	}
	return pc, true, pc.WaitReady(ctx)
}

// loadTestnet reads the testnet in dir and makes it start nodes with this binary, not the
// one recorded when it was created: that one may be gone (go run builds into a temporary
// directory and deletes it on exit) or be an older build.
func loadTestnet(dir string) (*testnet.ProcCluster, error) {
	pc, err := testnet.LoadProcCluster(dir)
	if err != nil {
		return nil, err
	}
	bin, err := executable()
	if err != nil {
		return nil, errs.E("testnet", errs.Unavailable, err)
	}
	pc.Binary = bin
	return pc, nil
}

// adminFirst lists the API addresses of the admin's member (node 0's) first, then the
// others. Publishing and catalog changes are refused by a node of another member (it signs
// only for its own users), and the client moves to the next endpoint only when one is down:
// with node 0 down, a put must reach node 0's partner node, not another member's.
func adminFirst(pc *testnet.ProcCluster) []string {
	var own, others []string
	for _, n := range pc.Nodes {
		if n.Member == pc.Nodes[0].Member {
			own = append(own, n.API)
		} else {
			others = append(others, n.API)
		}
	}
	return append(own, others...)
}

func newTestnetDownCmd(dir *string) *cobra.Command {
	var purge bool
	c := &cobra.Command{
		Use:   "down",
		Short: "Stop every node of the local federation (--purge also deletes its data)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			pc, err := testnet.LoadProcCluster(*dir)
			if err != nil {
				return err
			}
			if err := pc.Down(purge); err != nil {
				return err
			}
			if purge {
				fmt.Fprintf(cmd.OutOrStdout(), "testnet stopped and %s deleted\n", pc.Dir)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "testnet stopped; its data stays in %s: 'meridian testnet up' starts it again, 'meridian testnet down --purge' deletes it\n", pc.Dir)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&purge, "purge", false, "delete the testnet's data dir too")
	return c
}

func nodeIndex(arg string) (int, error) {
	i, err := strconv.Atoi(arg)
	if err != nil {
		return 0, usageError{fmt.Errorf("node index %q: give a number such as 2", arg)}
	}
	return i, nil
}

func newTestnetKillCmd(dir *string) *cobra.Command {
	return testnetNodeCmd(dir, "kill N", "kill -9 node N of the local federation",
		func(cmd *cobra.Command, pc *testnet.ProcCluster, i int) error {
			if err := pc.Kill(i); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node%d killed (api %s); 'meridian testnet start %d' starts it again\n", i, pc.Nodes[i].API, i)
			return nil
		})
}

func newTestnetStartCmd(dir *string) *cobra.Command {
	return testnetNodeCmd(dir, "start N", "Start node N of the local federation again from its data dir",
		func(cmd *cobra.Command, pc *testnet.ProcCluster, i int) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			if err := pc.Start(ctx, i); err != nil {
				return err
			}
			n := pc.Nodes[i]
			hc := pc.HTTPClient()
			defer hc.CloseIdleConnections()
			if why := nodeReadiness(ctx, hc, n.API, readyWait); why != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "node%d started (pid %d, api https://%s) but not ready after %v: %s\n", i, n.PID, n.API, readyWait, why)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node%d started and ready (pid %d, api https://%s)\n", i, n.PID, n.API)
			return nil
		})
}

// testnetNodeCmd builds a command that acts on node N of the testnet in dir.
func testnetNodeCmd(dir *string, use, short string, act func(*cobra.Command, *testnet.ProcCluster, int) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := nodeIndex(args[0])
			if err != nil {
				return err
			}
			pc, err := loadTestnet(*dir)
			if err != nil {
				return err
			}
			return act(cmd, pc, i)
		},
	}
}

// nodePin is the pin of a testnet node's self-signed API certificate ("?" before it has one).
func nodePin(n testnet.ProcNode) string {
	p, err := node.ReadTLSPin(n.Dir)
	if err != nil {
		return "?"
	}
	return p
}
