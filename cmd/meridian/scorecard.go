package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/testnet"
)

func newScorecardCmd() *cobra.Command {
	var o testnet.ScoreOptions
	var asJSON bool
	c := &cobra.Command{
		Use:   "scorecard",
		Short: "Durability figures of a local 6-node federation under node losses, disk corruption and a permanent loss",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := testnet.RunScorecard(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
			}
			if err := printScorecard(cmd.OutOrStdout(), r); err != nil {
				return err
			}
			if r.Losses > 0 || r.WrongBytes > 0 || r.CorruptionsDetected < r.CorruptionsInjected {
				return fmt.Errorf("durability goals missed")
			}
			return nil
		},
	}
	c.Flags().IntVar(&o.Trials, "trials", 5, "fault trials")
	c.Flags().IntVar(&o.Objects, "objects", 20, "objects published before the trials")
	c.Flags().Uint64Var(&o.Seed, "seed", 1, "seed for victims and damage")
	c.Flags().BoolVar(&asJSON, "json", false, "print the scorecard as JSON")
	return c
}

func printScorecard(out io.Writer, r *testnet.Scorecard) error {
	w := newTable(out)
	fmt.Fprintf(w, "trials / objects / reads\t%d / %d / %d\n", r.Trials, r.Objects, r.Reads)
	fmt.Fprintf(w, "losses (goal 0)\t%d\n", r.Losses)
	fmt.Fprintf(w, "wrong bytes served (goal 0)\t%d\n", r.WrongBytes)
	fmt.Fprintf(w, "corruptions detected / injected\t%d / %d\n", r.CorruptionsDetected, r.CorruptionsInjected)
	fmt.Fprintf(w, "time to full redundancy after a node loss\t%v (grace %v, passes every %v)\n", r.RedundancyAfterLoss.Round(1e6), r.RepairGrace, r.RepairInterval)
	fmt.Fprintf(w, "repair throughput\t%.0f MB/s (%.1f MB rebuilt)\n", r.RepairMBs, float64(r.RepairedBytes)/1e6)
	return w.Flush()
}
