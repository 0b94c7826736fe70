package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/testnet"
)

// addCatalogBench gives `meridian bench` its --catalog N mode: instead of the transfer
// figures, publish N objects through a 3-voter raft cluster and measure the catalog.
func addCatalogBench(c *cobra.Command) {
	var o testnet.CatalogBenchOptions
	c.Flags().IntVar(&o.Objects, "catalog", 0, "measure the catalog instead: publish this many objects through a 3-voter raft cluster "+
		"(commits/s, CPU per commit, PID resolve and search p50/p99, heap per object, snapshot and restore)")
	c.Flags().IntVar(&o.Workers, "catalog-workers", 256, "with --catalog: concurrent proposals")
	c.Flags().IntVar(&o.Queries, "catalog-queries", 200, "with --catalog: queries timed per kind of search")
	transfer := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if !cmd.Flags().Changed("catalog") {
			return transfer(cmd, args)
		}
		r, err := testnet.RunCatalogBench(cmd.Context(), o)
		if err != nil {
			return err
		}
		if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		printCatalogBench(w, r)
		return w.Flush()
	}
}

func printCatalogBench(w io.Writer, r *testnet.CatalogBenchReport) {
	us := func(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1e3) }
	fmt.Fprintf(w, "catalog\t%d objects, %d raft voters on bbolt, all in this process\n", r.Objects, r.Voters)
	fmt.Fprintf(w, "commits\t%.0f objects/s (%v for all; %d proposals repeated after a leader change)\n",
		r.CommitsPerSec, r.CommitTime.Round(time.Millisecond), r.Retries)
	fmt.Fprintf(w, "CPU per commit\t%s in all = %s client (build, sign) + %d × %s per voter: %.0f objects/s for a voter with a core of its own\n",
		us(r.CommitCPU), us(r.ClientCPU), r.Voters, us(r.VoterCPU), 1/r.VoterCPU.Seconds())
	fmt.Fprintf(w, "PID resolve p50 / p99\t%s / %s\n", us(r.ResolveP50), us(r.ResolveP99))
	for _, s := range r.Searches {
		fmt.Fprintf(w, "search %s p50 / p99\t%s / %s (%.1f objects on the first page)\n", s.Kind, us(s.P50), us(s.P99), s.AvgReturned)
	}
	fmt.Fprintf(w, "heap per object\t%.0f B, of which %.0f B record and wrapped keys\n", r.HeapPerObject, r.PayloadPerObject)
	fmt.Fprintf(w, "snapshot\t%.1f MB written and fsynced in %v; restored (every check, indexes rebuilt) in %v\n",
		float64(r.SnapshotBytes)/1e6, r.SnapshotTime.Round(time.Millisecond), r.RestoreTime.Round(time.Millisecond))
}
