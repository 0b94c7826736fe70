package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/scalesim"
)

// scaleFlags are the flags of `meridian bench --scale`.
type scaleFlags struct {
	on         bool
	regions    int
	stripes    int
	trials     int
	seed       uint64
	dhtStripes int
	dhtJoins   int
	noDHT      bool
	latency    time.Duration
}

func addScaleFlags(c *cobra.Command, s *scaleFlags) {
	f := c.Flags()
	f.BoolVar(&s.on, "scale", false, "simulate a large federation instead (real placement, real DHT over mocknet; --nodes 100 --members 20 --regions 8 unless given)")
	f.IntVar(&s.regions, "regions", 8, "with --scale: regions")
	f.IntVar(&s.stripes, "stripes", 10_000, "with --scale: stripes placed for balance, churn and repair")
	f.IntVar(&s.trials, "trials", 5, "with --scale: joins and leaves averaged")
	f.Uint64Var(&s.seed, "seed", 1, "with --scale: seed of the identities and stripe keys")
	f.IntVar(&s.dhtStripes, "dht-stripes", 100, "with --scale: stripes stored and announced in the mocknet DHT")
	f.IntVar(&s.dhtJoins, "dht-joins", 5, "with --scale: nodes joining before the DHT reads")
	f.BoolVar(&s.noDHT, "no-dht", false, "with --scale: placement figures only")
	f.DurationVar(&s.latency, "latency", 0, "with --scale: one-way delay of every mocknet link (e.g. 40ms between continents)")
}

// runScaleBench runs the simulation; --nodes and --members keep their scale defaults unless
// given.
func runScaleBench(cmd *cobra.Command, s scaleFlags, nodes, members int, asJSON bool) error {
	o := scalesim.Options{Shape: scalesim.Shape{Nodes: 100, Members: 20, Regions: s.regions, Seed: s.seed},
		Stripes: s.stripes, Trials: s.trials, SkipDHT: s.noDHT,
		DHT: scalesim.DHTOptions{Stripes: s.dhtStripes, Joins: s.dhtJoins, Latency: s.latency}}
	if cmd.Flags().Changed("nodes") {
		o.Nodes = nodes
	}
	if cmd.Flags().Changed("members") {
		o.Members = members
	}
	if s.stripes < 1 || s.trials < 1 || s.dhtStripes < 1 || s.dhtJoins < 1 || s.latency < 0 {
		return usageError{fmt.Errorf("--stripes, --trials, --dht-stripes and --dht-joins must be at least 1, --latency at least 0")}
	}
	start := time.Now()
	r, err := scalesim.Run(cmd.Context(), o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	printScale(w, r)
	fmt.Fprintf(w, "took\t%v\n", time.Since(start).Round(time.Second))
	return w.Flush()
}

// printScale writes the report as tables, one per question.
func printScale(w io.Writer, r *scalesim.Report) {
	s := r.Shape
	fmt.Fprintf(w, "federation\t%d nodes, %d members, %d regions (simulated: real placement; DHT over mocknet)\n", s.Nodes, s.Members, s.Regions)
	fmt.Fprintf(w, "\nbalance (%d stripes)\tper node max/mean\tmin/mean\tper member max/mean\tper region max/mean\tmax shards of a stripe per member / region\n", r.Stripes)
	for _, b := range r.Balance {
		fmt.Fprintf(w, "%s\t%.2f (%.0f/%.0f)\t%.2f\t%.2f\t%.2f\t%d / %d\n", b.Variant, b.PerNode.MaxMean, b.PerNode.Max, b.PerNode.Mean,
			b.PerNode.MinMean, b.PerMember.MaxMean, b.PerRegion.MaxMean, b.MaxPerMemberStripe, b.MaxPerRegionStripe)
	}
	fmt.Fprintf(w, "\nchurn (mean of %d)\tjoin: moved (ideal, ×)\tleave: placed anew (ideal, ×)\tleave: repaired (×)\n", r.Joins[0].Trials)
	for i, j := range r.Joins {
		l := r.Leaves[i]
		fmt.Fprintf(w, "%s\t%.0f (%.0f, %.2f×, %.2f%% of shards)\t%.0f (%.0f, %.2f×)\t%.0f (%.2f×)\n", j.Variant, j.Moved, j.Ideal, j.Ratio, j.Percent,
			l.Moved, l.Ideal, l.Ratio, l.Repaired, l.RepairedRatio)
	}
	fmt.Fprintf(w, "\nrepair after losing a member\tstripes hit\tshards rebuilt (extra)\ttraffic\trebuilders\tinbound per node max/mean\toutbound max/mean\n")
	for _, p := range r.Repair {
		fmt.Fprintf(w, "%s (%s, %d nodes)\t%d (%.0f%%, %d lost)\t%d (%d)\t%s (%d×%s per shard)\t%d\t%.2f (%s max)\t%.2f\n", p.Variant, p.Member, p.NodesLost,
			p.StripesHit, 100*p.StripeFraction, p.StripesLost, p.ShardsRebuilt, p.ExtraMoves, gib(p.TrafficBytes), p.K, gib(p.ShardBytes),
			p.Rebuilders, p.Inbound.MaxMean, gib(int64(p.Inbound.Max)), p.Outbound.MaxMean)
	}
	if d := r.DHT; d != nil {
		printDHT(w, d)
	}
}

func printDHT(w io.Writer, d *scalesim.DHTReport) {
	fmt.Fprintf(w, "\nDHT (%d hosts, %d stripes of %d+%d, link latency %v one way)\n", d.Hosts, d.Stripes, d.K, d.M, d.Latency)
	fmt.Fprintf(w, "provide\t%d provides: %.1f FIND_NODE requests and %.1f provider records each; p50 %v, p99 %v\n", d.Provides,
		d.ProvideMessages, d.ProvideRecords, d.ProvideTime.P50.Round(time.Microsecond), d.ProvideTime.P99.Round(time.Microsecond))
	fmt.Fprintf(w, "after %d joins\t%d shards' placement holder changed (%.1f%%)\n", d.Joins, d.Moved, 100*float64(d.Moved)/float64(max(d.Provides, 1)))
	l := d.Lookup
	fmt.Fprintf(w, "lookup of a moved shard\t%d lookups, %d found the holder; %.1f GET_PROVIDERS requests each; p50 %v, p99 %v\n", l.Lookups, l.Found,
		l.Messages, l.Time.P50.Round(time.Microsecond), l.Time.P99.Round(time.Microsecond))
	l = d.LookupFirst
	fmt.Fprintf(w, "same, stopping at 1 provider\t%d found; %.1f GET_PROVIDERS requests each; p50 %v, p99 %v\n", l.Found,
		l.Messages, l.Time.P50.Round(time.Microsecond), l.Time.P99.Round(time.Microsecond))
	for _, x := range []struct {
		name string
		r    scalesim.ReadStats
	}{{"read, placement holders + DHT", d.PlacedReads}, {"read, node's ranked list", d.RankedReads}} {
		fmt.Fprintf(w, "%s\t%d reads, %d failed: %.2f shard requests (%.2f hedges), %.2f DHT lookups (%.1f requests) per read, %d reads used the DHT; p50 %v, p99 %v\n",
			x.name, x.r.Reads, x.r.Failed, x.r.Requests, x.r.Hedges, x.r.Lookups, x.r.LookupMessages, x.r.WithLookup,
			x.r.Time.P50.Round(time.Microsecond), x.r.Time.P99.Round(time.Microsecond))
	}
}

func gib(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
}
