package testnet

import (
	"context"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
)

// BenchOptions shape `meridian bench`.
type BenchOptions struct {
	Size    int64 // bytes of the large object
	Small   int   // how many 1 MiB objects for the latency figures
	Nodes   int
	Members int
	// PlainHTTP serves the APIs without TLS, to measure what TLS costs.
	PlainHTTP bool
}

// BenchReport holds the figures of one run; rates in MB/s (10^6 bytes per second).
type BenchReport struct {
	Size           int64
	RawStreamMBs   float64 // one libp2p stream between two nodes (noise with the key's prologue + yamux)
	CodecEncodeMBs float64 // chunker.Encode alone, shards discarded
	CodecDecodeMBs float64 // chunker.Decode alone, shards from memory
	// CodecEncodeCPUPerGB and CodecDecodeCPUPerGB are the process CPU seconds per GB of the
	// codec alone, to set beside the PUT and GET figures.
	CodecEncodeCPUPerGB, CodecDecodeCPUPerGB float64
	Transports                               []Transport // bare host pairs: Noise+prologue, pnet+Noise, TLS
	PutMBs, GetMBs                           float64     // the large object through the HTTP API of the federation
	// PutCPUPerGB and GetCPUPerGB are the CPU seconds the whole process (every node and the
	// client) spent per GB of the large object: unlike MB/s they hardly move with the load of
	// other processes, and 2 cores / (CPU per byte) is the rate this machine could reach.
	PutCPUPerGB, GetCPUPerGB float64
	Put1P50, Put1P99         time.Duration
	Get1P50, Get1P99         time.Duration // objects published earlier, first read on another node
	Fresh1P50, Fresh1P99     time.Duration // read on another node right after the publish returned
	Limits                   Limits
	Nodes, Members, K, M     int
}

// PutBoundMBs is the PUT rate the shared disk allows: every byte published is written
// (n/k)-fold, with fsync, to the one disk all the nodes share here.
func (r *BenchReport) PutBoundMBs() float64 {
	return r.Limits.DiskFsyncMBs * float64(r.K) / float64(r.K+r.M)
}

const rawProto = protocol.ID("/meridian/bench/raw/1.0.0")

// RunBench starts an in-process federation in a temporary dir and measures it.
func RunBench(ctx context.Context, o BenchOptions) (*BenchReport, error) {
	dir, err := os.MkdirTemp("", "meridian-bench-")
	if err != nil {
		return nil, errs.E("testnet.RunBench", errs.Unavailable, err)
	}
	defer os.RemoveAll(dir)
	c, err := Start(ctx, Options{Dir: dir, Nodes: o.Nodes, Members: o.Members, PlainHTTP: o.PlainHTTP})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	r := &BenchReport{Size: o.Size, Nodes: c.opts.Nodes, Members: c.opts.Members, K: c.opts.K, M: c.opts.M}
	steps := []func(context.Context, *Cluster, BenchOptions, *BenchReport) error{benchRaw, benchLimits, benchCodec, benchBig, benchSmall}
	for _, step := range steps {
		if err := step(ctx, c, o, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

func mbs(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }

// data returns a reader of n pseudo-random (incompressible) bytes: a random block of up to
// 64 MiB repeated, so that making the data costs next to nothing in the CPU figures. Stripes
// never repeat within a block, and the encryption of repeated plaintext differs anyway.
func data(n int64, seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	block := make([]byte, min(n, 64<<20))
	mrand.NewChaCha8(s).Read(block) //nolint:errcheck // ChaCha8.Read never fails
	return io.LimitReader(&cycle{b: block}, n)
}

// cycle reads b over and over.
type cycle struct {
	b   []byte
	off int
}

func (c *cycle) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.b[c.off:])
	c.off = (c.off + n) % len(c.b)
	return n, nil
}

// cpuPerGB turns the process CPU time spent since cpu0 into seconds per GB of n bytes.
func cpuPerGB(cpu0 time.Duration, n int64) float64 {
	return (processCPU() - cpu0).Seconds() / (float64(n) / 1e9)
}

// benchRaw streams Size bytes over one libp2p stream from node 0 to node 1.
func benchRaw(ctx context.Context, c *Cluster, o BenchOptions, r *BenchReport) error {
	src, dst := c.Node(0).Host(), c.Node(1).Host()
	dst.SetStreamHandler(rawProto, func(s network.Stream) {
		io.Copy(io.Discard, s) //nolint:errcheck // the sender measures
		s.Close()
	})
	defer dst.RemoveStreamHandler(rawProto)
	s, err := src.NewStream(ctx, dst.ID(), rawProto)
	if err != nil {
		return errs.E("bench.raw", errs.Unavailable, err)
	}
	start := time.Now()
	if err := sendAll(s, o.Size); err != nil {
		return errs.E("bench.raw", errs.Unavailable, err)
	}
	r.RawStreamMBs = mbs(o.Size, time.Since(start))
	r.Transports, err = benchTransports(ctx, min(o.Size, 256<<20))
	return err
}

// memShards keeps encoded shards in memory by stripe index (bounded by the benchmark's size
// for decode). Each stripe has its own slot, so concurrent puts need no lock.
type memShards struct{ stripes [][][]byte }

func (s *memShards) Shards(_ context.Context, stripe int, _ []cid.Cid, _ int) ([][]byte, error) {
	return s.stripes[stripe], nil
}

// put keeps a copy of the stripe's shards (the encoder reuses its buffers once put returns).
func (s *memShards) put(_ context.Context, es *chunker.EncodedStripe) error {
	cp := make([][]byte, len(es.Shards))
	for i, sh := range es.Shards {
		cp[i] = slices.Clone(sh)
	}
	s.stripes[es.Index] = cp
	return nil
}

// benchCodec measures chunker alone on at most 256 MiB. The timed encode discards its
// shards (its put only counts them), so it measures the codec, not a copy or a lock; a
// second, untimed encode keeps the shards in memory for the timed decode.
func benchCodec(ctx context.Context, _ *Cluster, o BenchOptions, r *BenchReport) error {
	n := min(o.Size, 256<<20)
	p := chunker.DefaultParams()
	dek, _ := chunker.NewDEK()
	var stripes atomic.Int64
	discard := func(context.Context, *chunker.EncodedStripe) error { stripes.Add(1); return nil }
	start, cpu0 := time.Now(), processCPU()
	res, err := chunker.Encode(ctx, data(n, 1), p, dek, discard)
	if err != nil {
		return err
	}
	r.CodecEncodeMBs, r.CodecEncodeCPUPerGB = mbs(n, time.Since(start)), cpuPerGB(cpu0, n)
	if int(stripes.Load()) != len(res.Manifest.Stripes) {
		return errs.Errorf("bench.codec", errs.Internal, "put saw %d stripes of %d", stripes.Load(), len(res.Manifest.Stripes))
	}
	shards := &memShards{stripes: make([][][]byte, len(res.Manifest.Stripes))}
	if res, err = chunker.Encode(ctx, data(n, 1), p, dek, shards.put); err != nil {
		return err
	}
	start, cpu0 = time.Now(), processCPU()
	if err := chunker.Decode(ctx, res.Manifest, dek, shards, io.Discard, 0, -1); err != nil {
		return err
	}
	r.CodecDecodeMBs, r.CodecDecodeCPUPerGB = mbs(n, time.Since(start)), cpuPerGB(cpu0, n)
	return nil
}

// benchBig publishes Size bytes through node 0 and reads them back through node 3.
func benchBig(ctx context.Context, c *Cluster, o BenchOptions, r *BenchReport) error {
	src := data(o.Size, 2)
	start, cpu0 := time.Now(), processCPU()
	obj, err := c.Client(0).Put(ctx, "default", "bench.bin", src, o.Size)
	if err != nil {
		return err
	}
	r.PutMBs, r.PutCPUPerGB = mbs(o.Size, time.Since(start)), cpuPerGB(cpu0, o.Size)
	start, cpu0 = time.Now(), processCPU()
	if _, err := c.Client(c.Len()-2).Get(ctx, obj.PID, io.Discard); err != nil {
		return err
	}
	r.GetMBs, r.GetCPUPerGB = mbs(o.Size, time.Since(start)), cpuPerGB(cpu0, o.Size)
	return nil
}

// benchSmall measures the latency of 1 MiB publishes and reads: all publishes first, then a
// first read of each on another node (the steady state: the catalog entry has reached every
// replica), then publishes each read at once on another node, which must first catch up with
// the leader (a read-index round) before it can resolve the PID.
func benchSmall(ctx context.Context, c *Cluster, o BenchOptions, r *BenchReport) error {
	var puts, gets, fresh []time.Duration
	put := func(seed uint64) (string, error) {
		start := time.Now()
		obj, err := c.Client(0).Put(ctx, "default", "small.bin", data(1<<20, seed), 1<<20)
		if err != nil {
			return "", err
		}
		puts = append(puts, time.Since(start))
		return obj.PID, nil
	}
	get := func(p string, into *[]time.Duration) error {
		start := time.Now()
		if _, err := c.Client(c.Len()-2).Get(ctx, p, io.Discard); err != nil {
			return err
		}
		*into = append(*into, time.Since(start))
		return nil
	}
	var pids []string
	for i := range o.Small {
		p, err := put(uint64(10 + i))
		if err != nil {
			return err
		}
		pids = append(pids, p)
	}
	for _, p := range pids {
		if err := get(p, &gets); err != nil {
			return err
		}
	}
	for i := range max(o.Small/2, 1) {
		p, err := put(uint64(10 + o.Small + i))
		if err != nil {
			return err
		}
		if err := get(p, &fresh); err != nil {
			return err
		}
	}
	r.Put1P50, r.Put1P99 = percentiles(puts)
	r.Get1P50, r.Get1P99 = percentiles(gets)
	r.Fresh1P50, r.Fresh1P99 = percentiles(fresh)
	return nil
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}
