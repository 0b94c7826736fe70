package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/testnet"
)

const scorecardLong = `Durability figures of a local 6-node federation under node losses, disk corruption and a permanent loss.

Six in-process nodes in three members (3+2) publish --objects objects; each of --trials
trials loses two nodes (or a whole member) and reads everything, then damages shard files,
reads everything and scrubs. The federation is then topped up to --loss-mib with 8 MiB
objects and the node holding the most data is lost for good: the scorecard times the way back
to full redundancy and the repair's throughput beside the transport and Reed-Solomon rates
measured in the same run. JSON durations are in nanoseconds, rates in MB/s (10^6 bytes).

Exits with 1, after printing, when a durability goal is missed (a failed or wrong read, an
injected corruption that scrub did not find).`

func newScorecardCmd() *cobra.Command { return scorecardCmd(testnet.RunScorecard) }

// scoreRunner runs a scorecard: testnet.RunScorecard, or a fake in tests.
type scoreRunner func(context.Context, testnet.ScoreOptions) (*testnet.Scorecard, error)

// scorecardCmd is the scorecard command running its measurement with run.
func scorecardCmd(run scoreRunner) *cobra.Command {
	o := testnet.ScoreOptions{LossMiB: 384}
	var asJSON bool
	var profile string
	c := &cobra.Command{
		Use:   "scorecard",
		Short: "Durability figures of a local 6-node federation under node losses, disk corruption and a permanent loss",
		Long:  scorecardLong,
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Trials < 0 || o.Objects < 0 || o.LossMiB < 1 {
				return usageError{fmt.Errorf("--trials and --objects must be ≥ 0 and --loss-mib ≥ 1")}
			}
			return runScorecard(cmd, run, o, profile, asJSON)
		},
	}
	f := c.Flags()
	f.IntVar(&o.Trials, "trials", 5, "fault trials")
	f.IntVar(&o.Objects, "objects", 20, "objects published before the trials")
	f.Uint64Var(&o.Seed, "seed", 1, "seed for victims and damage")
	f.IntVar(&o.LossMiB, "loss-mib", o.LossMiB, "top the federation up to `N` MiB with 8 MiB objects before the permanent loss")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the repair after the permanent loss (first rebuild to full redundancy) to `FILE`")
	f.BoolVar(&asJSON, "json", false, "print the scorecard as JSON")
	return c
}

// runScorecard runs the scorecard, prints it and then reports any missed goal.
func runScorecard(cmd *cobra.Command, run scoreRunner, o testnet.ScoreOptions, profile string, asJSON bool) error {
	ctx, cancel := commandContext(cmd)
	defer cancel()
	r, err := scorecardProfiled(profile, func(w io.Writer) (*testnet.Scorecard, error) {
		o.CPUProfile = w
		return run(ctx, o)
	})
	if err != nil {
		return err
	}
	if asJSON {
		err = writeJSON(cmd.OutOrStdout(), r)
	} else {
		err = printScorecard(cmd.OutOrStdout(), r)
	}
	if err != nil {
		return err
	}
	return missedGoals(r)
}

// scorecardProfiled calls run with the profile file open (nil writer when path is empty) and
// closes it after.
func scorecardProfiled(path string, run func(io.Writer) (*testnet.Scorecard, error)) (*testnet.Scorecard, error) {
	if path == "" {
		return run(nil)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, errs.E("scorecard --cpuprofile", errs.Invalid, err)
	}
	r, err := run(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = errs.E("scorecard --cpuprofile", errs.NoSpace, cerr)
	}
	return r, err
}

// missedGoals is nil when the durability goals hold, else an error naming the misses.
func missedGoals(r *testnet.Scorecard) error {
	var miss []string
	if r.Losses > 0 {
		miss = append(miss, fmt.Sprintf("%d of %d reads failed", r.Losses, r.Reads))
	}
	if r.WrongBytes > 0 {
		miss = append(miss, fmt.Sprintf("%d reads returned wrong bytes", r.WrongBytes))
	}
	if r.CorruptionsDetected < r.CorruptionsInjected {
		miss = append(miss, fmt.Sprintf("scrub found %d of %d injected corruptions", r.CorruptionsDetected, r.CorruptionsInjected))
	}
	if len(miss) == 0 {
		return nil
	}
	return fmt.Errorf("durability goals missed: %s; rerun with the same --seed to reproduce", strings.Join(miss, ", "))
}
