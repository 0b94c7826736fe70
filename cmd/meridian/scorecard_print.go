package main

import (
	"fmt"
	"io"
	"time"

	"github.com/meridian-fed/meridian/testnet"
)

// printScorecard writes the scorecard as a table: the durability goals first, then the
// permanent loss, its repair beside the bound the same run measured, and the limits.
func printScorecard(out io.Writer, r *testnet.Scorecard) error {
	w := newTable(out)
	fmt.Fprintf(w, "federation\t%d nodes, %d members, %d+%d, all in this process\n", r.Nodes, r.Members, r.K, r.M)
	fmt.Fprintf(w, "trials / objects / reads\t%d / %d / %d\n", r.Trials, r.Objects, r.Reads)
	fmt.Fprintf(w, "losses (goal 0)\t%d\n", r.Losses)
	fmt.Fprintf(w, "wrong bytes served (goal 0)\t%d\n", r.WrongBytes)
	fmt.Fprintf(w, "corruptions detected / injected\t%d / %d\n", r.CorruptionsDetected, r.CorruptionsInjected)
	fmt.Fprintf(w, "full redundancy after detected corruption\t%s (longest of the trials)\n", seconds(r.CorruptionToFull))
	fmt.Fprintf(w, "published before the permanent loss\t%.1f MiB\n", float64(r.Published)/(1<<20))
	fmt.Fprintf(w, "full redundancy after the loss\t%s (grace %v, passes every %v)\n", seconds(r.RedundancyAfterLoss), r.RepairGrace, r.RepairInterval)
	printRepair(w, r)
	fmt.Fprintf(w, "same-run limits\ttransport %s (libp2p, %d node pairs at once), RS %d+%d decode %s (one core)\n",
		mbs(r.TransportMBs), r.Nodes/2, r.K, r.M, mbs(r.RSDecodeMBs))
	return w.Flush()
}

// printRepair writes the repair's throughput as a fraction of its same-run bound, then what
// it rebuilt, when, and what it cost.
func printRepair(w io.Writer, r *testnet.Scorecard) {
	if r.RepairedBytes <= 0 {
		fmt.Fprintf(w, "repair\tnothing rebuilt after the loss, no throughput measured (same-run bound %s)\n", mbs(r.RepairBoundMBs))
		return
	}
	fmt.Fprintf(w, "repair\t%s = %s of the same-run bound %s (transport %s / k=%d)\n",
		mbs(r.RepairMBs), fraction(r.RepairMBs, r.RepairBoundMBs), mbs(r.RepairBoundMBs), mbs(r.TransportMBs), r.K)
	fmt.Fprintf(w, "\t%.1f MB rebuilt in %s, started %s after the loss\n",
		float64(r.RepairedBytes)/1e6, seconds(r.RepairWindow), seconds(r.RepairStart))
	fmt.Fprintf(w, "\t%.1f cores busy, %.1f CPU-s per GB rebuilt\n", r.RepairCores, r.RepairCPUPerGB)
}

// mbs formats MB/s, switching to GB/s from 10 GB/s on.
func mbs(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.1f GB/s", v/1000)
	}
	return fmt.Sprintf("%.0f MB/s", v)
}

// fraction formats a/b with two decimals, or "n/a" without a bound.
func fraction(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// seconds formats d in seconds with two decimals.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}
