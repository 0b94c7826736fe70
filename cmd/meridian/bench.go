package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meridian-fed/meridian/testnet"
)

func newBenchCmd() *cobra.Command {
	var o testnet.BenchOptions
	var sizeMiB int64
	var asJSON bool
	var profile string
	var scale scaleFlags
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure a local in-process federation: PUT/GET throughput and latency beside raw libp2p and the codec",
		Long: `Starts a federation in this process (--nodes, --members, 3+2 on 5 nodes) in a temporary
directory and measures, in one run:
  - the machine's limits: one core of memcpy, sha256, blake3, AES-GCM, Reed-Solomon, pnet's
    XSalsa20 (no longer run, shown for comparison) and noise's ChaCha20-Poly1305; one raw libp2p
    stream; k+m stores writing shards at once;
  - the transports of issue 12 on bare host pairs: Noise bound to the key by its prologue (what
    nodes run), pnet + Noise (what they ran before) and TLS 1.3, MB/s and CPU-s/GB;
  - the codec alone (encode, decode), with its CPU-s/GB;
  - PUT and GET of one --size-mib object through the HTTP API, with the CPU seconds the whole
    process spent per GB and the rate that CPU cost allows on this machine's cores;
  - the design floor of PUT and GET: the hashing, encryption and transport ciphers DESIGN.md
    requires per byte, priced at the measured one-core rates, and the most MB/s it leaves;
  - p50/p99 latency of --small 1 MiB publishes, first reads on another node, and reads on
    another node right after the publish returns.
All nodes, the client and the benchmark share this machine's cores: compare each figure with
the limit printed beside it rather than with figures from another run.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scale.on {
				return runScaleBench(cmd, scale, o.Nodes, o.Members, asJSON)
			}
			o.Size = sizeMiB << 20
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			r, err := testnet.RunBench(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			printBench(w, r, sizeMiB)
			return w.Flush()
		},
	}
	c.Flags().Int64Var(&sizeMiB, "size-mib", 1024, "size of the large object in MiB")
	c.Flags().IntVar(&o.Small, "small", 50, "number of 1 MiB objects for the latency figures")
	c.Flags().IntVar(&o.Nodes, "nodes", 5, "nodes")
	c.Flags().IntVar(&o.Members, "members", 3, "members")
	c.Flags().BoolVar(&o.PlainHTTP, "insecure-plain-http", false, "serve the nodes' APIs without TLS, to measure what TLS costs")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the run to this file")
	addScaleFlags(c, &scale)
	addCatalogBench(c)
	return c
}

// printBench writes the report as a table: the machine's limits first, then each figure with
// its ratio to the limit that bounds it.
func printBench(w io.Writer, r *testnet.BenchReport, sizeMiB int64) {
	l := r.Limits
	fmt.Fprintf(w, "federation\t%d nodes, %d members, %d+%d, all in this process\n", r.Nodes, r.Members, r.K, r.M)
	fmt.Fprintf(w, "limits (one core)\tmemcpy %.0f, sha256 %.0f, blake3 %.0f, AES-GCM %.0f, RS %d+%d encode %.0f MB/s\n",
		l.MemcpyMBs, l.SHA256MBs, l.BLAKE3MBs, l.AESGCMMBs, r.K, r.M, l.RSEncodeMBs)
	fmt.Fprintf(w, "ciphers (one core)\tXSalsa20 (pnet, no longer run) %.0f, ChaCha20-Poly1305 (noise) %.0f MB/s\n", l.XSalsa20MBs, l.ChaChaPolyMBs)
	fmt.Fprintf(w, "raw libp2p stream\t%.0f MB/s (noise with the key's prologue + yamux, one stream, federation hosts)\n", r.RawStreamMBs)
	for _, t := range r.Transports {
		fmt.Fprintf(w, "transport %s\t%.0f MB/s, %.1f CPU-s/GB (bare host pair, one stream)\n", t.Name, t.MBs, t.CPUPerGB)
	}
	fmt.Fprintf(w, "raw disk, %d stores at once\t%.0f MB/s (PUT bound: %.0f MB/s, every byte written %d/%d-fold)\n",
		r.K+r.M, l.DiskFsyncMBs, r.PutBoundMBs(), r.K+r.M, r.K)
	fmt.Fprintf(w, "raw disk, 1 MiB stripe\t%v p50 for its %d shards, fsynced at once\n", l.StripeWrite.Round(10*time.Microsecond), r.K+r.M)
	cores := runtime.NumCPU()
	put, get := r.PutFloor(cores), r.GetFloor(cores)
	fmt.Fprintf(w, "codec encode\t%.0f MB/s; %.1f CPU-s/GB (PUT design floor %.1f)\n", r.CodecEncodeMBs, r.CodecEncodeCPUPerGB, put.CPUPerGB)
	fmt.Fprintf(w, "codec decode\t%.0f MB/s; %.1f CPU-s/GB (GET design floor %.1f)\n", r.CodecDecodeMBs, r.CodecDecodeCPUPerGB, get.CPUPerGB)
	fmt.Fprintf(w, "PUT %d MiB\t%.0f MB/s (%.0f%% of the disk bound, %.0f%% of raw stream); %s; design floor %.1f, goal ≤ 6\n",
		sizeMiB, r.PutMBs, 100*r.PutMBs/r.PutBoundMBs(), 100*r.PutMBs/r.RawStreamMBs, cpuNote(r.PutCPUPerGB), put.CPUPerGB)
	fmt.Fprintf(w, "GET %d MiB\t%.0f MB/s (%.0f%% of raw stream); %s; design floor %.1f, goal ≤ 4\n", sizeMiB, r.GetMBs, 100*r.GetMBs/r.RawStreamMBs, cpuNote(r.GetCPUPerGB), get.CPUPerGB)
	fmt.Fprintf(w, "PUT design floor\t%s\n", floorNote(put, cores))
	fmt.Fprintf(w, "GET design floor\t%s\n", floorNote(get, cores))
	fmt.Fprintf(w, "1 MiB PUT p50 / p99\t%v / %v (p50 = %.1f × the raw 1 MiB stripe write)\n", r.Put1P50.Round(time.Microsecond*10), r.Put1P99.Round(time.Microsecond*10),
		r.Put1P50.Seconds()/l.StripeWrite.Seconds())
	fmt.Fprintf(w, "1 MiB GET p50 / p99\t%v / %v (first read, on another node)\n", r.Get1P50.Round(time.Microsecond*10), r.Get1P99.Round(time.Microsecond*10))
	fmt.Fprintf(w, "1 MiB GET after PUT\t%v / %v (read on another node as soon as the publish returns)\n", r.Fresh1P50.Round(time.Microsecond*10), r.Fresh1P99.Round(time.Microsecond*10))
}

// cpuNote says what a CPU cost per GB means on this machine's cores.
func cpuNote(cpuPerGB float64) string {
	if cpuPerGB <= 0 {
		return "CPU not measured"
	}
	return fmt.Sprintf("%.1f CPU-s/GB, so %.0f MB/s if all %d cores did nothing else", cpuPerGB, float64(runtime.NumCPU())*1e3/cpuPerGB, runtime.NumCPU())
}

// floorNote spells out the design's own per-byte work and the rate it leaves.
func floorNote(f testnet.Floor, cores int) string {
	return fmt.Sprintf("%.1f sha256 + %.1f blake3 + %.0f AES-GCM passes, %.2f of the object as shard traffic through ChaCha20-Poly1305 at both ends = %.1f CPU-s/GB: at most %.0f MB/s on %d cores",
		f.SHA256, f.BLAKE3, f.AESGCM, f.Transport, f.CPUPerGB, f.MaxMBs, cores)
}
