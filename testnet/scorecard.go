package testnet

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/reedsolomon"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// ScoreOptions shape a durability scorecard run.
type ScoreOptions struct {
	Trials  int    // fault trials (each: lose m nodes or a member, then corrupt shards)
	Objects int    // objects published before the trials
	Seed    uint64 // for the choice of victims and damage
	// LossMiB tops the federation up with 8 MiB objects to this much data before a node is lost
	// for good, so the repair throughput is measured over enough rebuilt data (0: 384 MiB; the
	// node lost then held ~100 MB of shards).
	LossMiB int
	// CPUProfile, when set, receives a CPU profile of the repair after the permanent loss (from
	// the first rebuild seen to full redundancy), for `go tool pprof`.
	CPUProfile io.Writer
}

// Scorecard is what `meridian scorecard` prints (DESIGN's durability goals in one place).
type Scorecard struct {
	Trials, Objects     int
	Reads               int           // object reads made during the trials
	Losses              int           // reads that failed (goal 0)
	WrongBytes          int           // reads that returned other bytes than published (goal 0)
	CorruptionsInjected int           // shard files damaged on disk
	CorruptionsDetected int           // of those, found and removed by scrub
	Published           int64         // bytes of objects held when a node is lost for good (Objects, then 8 MiB ones up to LossMiB)
	RedundancyAfterLoss time.Duration // permanent loss of a node: time until every stripe is back at k+m
	RepairGrace         time.Duration // part of that time spent waiting on purpose
	RepairInterval      time.Duration // between repair passes: up to this much more waiting
	RepairedBytes       int64         // shard bytes the repair loops rebuilt and stored on new holders after the loss
	RepairStart         time.Duration // from the loss to the first rebuild's start (grace and pass timing)
	RepairWindow        time.Duration // from the first rebuild's start to the last rebuilt shard's acknowledgement, all nodes
	RepairMBs           float64       // RepairedBytes / RepairWindow, in MB/s
	RepairCores         float64       // CPU cores the process (all nodes) kept busy on average during RepairWindow
	RepairCPUPerGB      float64       // CPU-seconds the process spent in RepairWindow per GB rebuilt

	// Limits measured in the same run, just before the loss (a busy machine shows in both):
	TransportMBs float64 // libp2p streams (pnet, noise, yamux, TCP), 3 node pairs at once, both ends in this process
	RSDecodeMBs  float64 // Reed-Solomon rebuild of one lost shard of 3+2, shard bytes out per second, one core
	// RepairBoundMBs = TransportMBs / k: every rebuilt byte crosses the transport k times (k-1
	// fetches and one store, or k fetches), so repair cannot beat it on this machine.
	RepairBoundMBs float64
}

// scoreK and scoreM are the scorecard federation's Reed-Solomon parameters.
const scoreK, scoreM = 3, 2

// RunScorecard starts a 6-node, 3-member federation (3+2) in a temporary dir and measures it.
func RunScorecard(ctx context.Context, o ScoreOptions) (*Scorecard, error) {
	dir, err := os.MkdirTemp("", "meridian-scorecard-")
	if err != nil {
		return nil, errs.E("testnet.RunScorecard", errs.Unavailable, err)
	}
	defer os.RemoveAll(dir)
	const grace, interval = time.Second, 200 * time.Millisecond
	c, err := Start(ctx, Options{Dir: dir, Nodes: 6, Members: 3, K: scoreK, M: scoreM,
		Tune: func(cfg *node.Config) {
			cfg.RepairGrace, cfg.RepairInterval, cfg.RepairRate = grace, interval, 0 // measure repair, not its limiter
		}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s := &scorer{c: c, rnd: mrand.New(mrand.NewPCG(o.Seed, 7)), sums: map[string][32]byte{}, card: &Scorecard{Trials: o.Trials, Objects: o.Objects, RepairGrace: grace, RepairInterval: interval}}
	if err := s.publish(ctx, o.Objects); err != nil {
		return s.card, err
	}
	for range o.Trials {
		if err := s.lossTrial(ctx); err != nil {
			return s.card, err
		}
		if err := s.corruptionTrial(ctx); err != nil {
			return s.card, err
		}
	}
	if err := s.fill(ctx, cmp.Or(o.LossMiB, 384)); err != nil {
		return s.card, err
	}
	return s.card, s.permanentLoss(ctx, o.CPUProfile)
}

type scorer struct {
	c    *Cluster
	rnd  *mrand.Rand
	sums map[string][32]byte // PID -> sha256 of what was published
	card *Scorecard
}

func (s *scorer) publish(ctx context.Context, n int) error {
	for i := range n {
		if err := s.put(ctx, fmt.Sprintf("obj-%d", i), s.rnd.IntN(8<<20)+1); err != nil {
			return err
		}
	}
	return nil
}

// fill publishes 8 MiB objects (two whole stripes each) until the federation holds mib MiB.
func (s *scorer) fill(ctx context.Context, mib int) error {
	for i := 0; s.card.Published < int64(mib)<<20; i++ {
		if err := s.put(ctx, fmt.Sprintf("bulk-%d", i), 8<<20); err != nil {
			return err
		}
	}
	return nil
}

// put publishes size random bytes under name and remembers their hash.
func (s *scorer) put(ctx context.Context, name string, size int) error {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(s.rnd.Uint32())
	}
	obj, err := s.c.Client(0).Put(ctx, "default", name, bytes.NewReader(b), int64(size))
	if err != nil {
		return err
	}
	s.sums[obj.PID] = sha256.Sum256(b)
	s.card.Published += int64(size)
	return nil
}

// readAll reads every object through node via and scores the answers.
func (s *scorer) readAll(ctx context.Context, via int) {
	cl := s.c.Client(via)
	for p, want := range s.sums {
		s.card.Reads++
		var buf bytes.Buffer
		if _, err := cl.Get(ctx, p, &buf); err != nil {
			s.card.Losses++
			continue
		}
		if sha256.Sum256(buf.Bytes()) != want {
			s.card.WrongBytes++
		}
	}
}

// lossTrial kills m=2 random nodes (sometimes exactly one whole member), reads everything from
// a survivor, and brings them back.
func (s *scorer) lossTrial(ctx context.Context) error {
	var victims []int
	if s.rnd.IntN(2) == 0 {
		m := s.rnd.IntN(3) // a whole member: nodes m and m+3
		victims = []int{m, m + 3}
	} else {
		p := s.rnd.Perm(s.c.Len())
		victims = p[:2]
	}
	for _, v := range victims {
		if err := s.c.Kill(v); err != nil {
			return err
		}
	}
	s.readAll(ctx, firstAlive(s.c, victims...))
	for _, v := range victims {
		if err := s.c.Restart(ctx, v); err != nil {
			return err
		}
	}
	return s.c.WaitReady(ctx)
}

// corruptionTrial damages one shard file on each of two random nodes (flip, truncate, zero or
// swap with another shard), reads everything, scrubs, and waits for full redundancy.
func (s *scorer) corruptionTrial(ctx context.Context) error {
	p := s.rnd.Perm(s.c.Len())[:2]
	for _, i := range p {
		if damageRandomShard(s.c.Node(i).StoreDir(), s.rnd) {
			s.card.CorruptionsInjected++
		}
	}
	s.readAll(ctx, p[0])
	for _, i := range p {
		rep, err := s.c.Node(i).ScrubNow(ctx)
		if err != nil {
			return err
		}
		s.card.CorruptionsDetected += int(rep.Removed)
	}
	return s.waitFull(ctx, 0)
}

// permanentLoss kills the node holding the most data and times the way back to k+m. Repair
// throughput is the shard bytes rebuilt and acknowledged by their new holders, all nodes
// together, over the time from the first rebuild's start to the last acknowledgement.
func (s *scorer) permanentLoss(ctx context.Context, prof io.Writer) error {
	victim, held := 1, int64(0)
	for i := 1; i < s.c.Len(); i++ {
		st, err := s.c.Node(i).Status(ctx, api.Subject{Anonymous: true})
		if err == nil && st.Node.Used > held {
			victim, held = i, st.Node.Used
		}
	}
	if err := s.limits(ctx); err != nil {
		return err
	}
	if err := s.c.Kill(victim); err != nil {
		return err
	}
	w := &rebuildWatch{s: s, killed: time.Now(), base: s.activity(time.Time{}).bytes}
	w.prof = prof
	err := w.wait(ctx)
	if w.profiling {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	s.card.RedundancyAfterLoss = w.full.Sub(w.killed)
	s.card.RepairedBytes = w.last.bytes - w.base
	if w.last.bytes > w.base {
		s.card.RepairStart = w.last.began.Sub(w.killed)
		s.card.RepairWindow = w.last.stored.Sub(w.last.began)
		s.card.RepairMBs = mbPerSec(s.card.RepairedBytes, s.card.RepairWindow)
		cpu := w.cpuStored - w.cpuBegan
		s.card.RepairCores = cpu.Seconds() / s.card.RepairWindow.Seconds()
		s.card.RepairCPUPerGB = cpu.Seconds() / (float64(s.card.RepairedBytes) / 1e9)
	}
	s.readAll(ctx, 0)
	return nil
}

// limits measures the machine's transport and Reed-Solomon rates, for comparison with the
// repair throughput measured right after.
func (s *scorer) limits(ctx context.Context) error {
	var err error
	if s.card.TransportMBs, err = transportRate(ctx, s.c, 32<<20); err != nil {
		return err
	}
	s.card.RepairBoundMBs = s.card.TransportMBs / scoreK
	s.card.RSDecodeMBs, err = rsDecodeRate(4<<20, scoreK, scoreM)
	return err
}

// scoreProto is the stream protocol of the transport measurement: the receiver discards.
const scoreProto = protocol.ID("/meridian/scorecard/sink/1.0.0")

// transportRate streams n bytes from node 2i to node 2i+1 for every pair at once and returns
// the total MB/s.
func transportRate(ctx context.Context, c *Cluster, n int64) (float64, error) {
	const op = "scorecard.transport"
	pairs := c.Len() / 2
	for i := range pairs {
		c.Node(2*i+1).Host().SetStreamHandler(scoreProto, func(st network.Stream) {
			io.Copy(io.Discard, st) //nolint:errcheck // the sender measures
			st.Close()
		})
		defer c.Node(2*i + 1).Host().RemoveStreamHandler(scoreProto)
	}
	buf := make([]byte, 256<<10)
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for i := range pairs {
		g.Go(func() error {
			st, err := c.Node(2*i).Host().NewStream(gctx, c.Node(2*i+1).PeerID(), scoreProto)
			if err != nil {
				return errs.E(op, errs.Unavailable, err)
			}
			defer st.Close()
			for sent := int64(0); sent < n; sent += int64(len(buf)) {
				if _, err := st.Write(buf); err != nil {
					return errs.E(op, errs.Unavailable, err)
				}
			}
			if err := st.CloseWrite(); err != nil {
				return errs.E(op, errs.Unavailable, err)
			}
			_, err = io.Copy(io.Discard, st) // until the receiver has read everything
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return mbPerSec(int64(pairs)*n, time.Since(start)), nil
}

// rsDecodeRate rebuilds shard 0 of a k+m stripe of stripe bytes from the others, repeatedly,
// for 256 MB of rebuilt bytes, and returns MB/s of rebuilt shard bytes.
func rsDecodeRate(stripe, k, m int) (float64, error) {
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		return 0, errs.E("scorecard.rs", errs.Invalid, err)
	}
	shards, err := enc.Split(make([]byte, stripe))
	if err == nil {
		err = enc.Encode(shards)
	}
	if err != nil {
		return 0, errs.E("scorecard.rs", errs.Internal, err)
	}
	rounds := (256 << 20) / len(shards[0])
	start := time.Now()
	for range rounds {
		shards[0] = shards[0][:0]
		if err := enc.ReconstructData(shards); err != nil {
			return 0, errs.E("scorecard.rs", errs.Internal, err)
		}
	}
	return mbPerSec(int64(rounds*len(shards[0])), time.Since(start)), nil
}

// rebuildWatch follows the repair loops of all nodes after a loss. The full-redundancy check
// (a Verify of every object: HAS requests to every holder) runs only while no rebuild is under
// way, so the measuring does not take CPU from the repair it measures.
type rebuildWatch struct {
	s         *scorer
	killed    time.Time
	base      int64     // rebuilt bytes before the loss
	last      rebuilds  // the latest poll
	full      time.Time // when the Verify found every stripe at k+m
	prof      io.Writer // receives a CPU profile from the first rebuild seen to full redundancy
	profiling bool
	// process CPU time (all nodes) at the first poll that saw a rebuild under way and at the
	// first poll after the last rebuilt shard was stored
	cpuBegan, cpuStored time.Duration
}

// rebuilds is the repair activity summed over the running nodes.
type rebuilds struct {
	bytes         int64
	busy          bool      // some node is rebuilding
	began, stored time.Time // first rebuild begun after since, last shard stored
}

func (s *scorer) activity(since time.Time) rebuilds {
	var r rebuilds
	for i := 0; i < s.c.Len(); i++ {
		n := s.c.Node(i)
		if n == nil {
			continue
		}
		a := n.RepairActivity()
		r.bytes += a.RebuiltBytes
		r.busy = r.busy || a.Rebuilding > 0
		if a.Began.After(since) && (r.began.IsZero() || a.Began.Before(r.began)) {
			r.began = a.Began
		}
		if a.Stored.After(r.stored) {
			r.stored = a.Stored
		}
	}
	return r
}

// wait polls the counters every 2 ms (a run of rebuilds is much longer, so the earliest Began
// is seen) and Verifies when no rebuild is under way, until every stripe is at k+m.
func (w *rebuildWatch) wait(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	var verified time.Time
	for {
		a := w.s.activity(w.killed)
		if !w.last.began.IsZero() && (a.began.IsZero() || w.last.began.Before(a.began)) {
			a.began = w.last.began // keep the first run's start once a node began another
		}
		if cpu := processCPU(); w.last.began.IsZero() && !a.began.IsZero() {
			w.cpuBegan, w.cpuStored = cpu, cpu
		} else if a.stored.After(w.last.stored) {
			w.cpuStored = cpu
		}
		if w.prof != nil && a.busy && !w.profiling {
			if err := pprof.StartCPUProfile(w.prof); err != nil {
				return errs.E("testnet.RunScorecard", errs.Invalid, err)
			}
			w.profiling = true
		}
		w.last = a
		if !a.busy && time.Since(verified) >= 20*time.Millisecond {
			err := w.s.waitFullOnce(ctx, 0)
			verified = time.Now()
			if err == nil {
				w.full = verified
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// processCPU returns the user and system CPU time this process (every node) has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mbPerSec(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds() / 1e6
}

// waitFull waits until every object has every stripe at k+m, as seen through node via.
func (s *scorer) waitFull(ctx context.Context, via int) error {
	return waitFor(ctx, func() error { return s.waitFullOnce(ctx, via) })
}

// waitFullOnce reports whether every object has every stripe at k+m, as seen through via.
func (s *scorer) waitFullOnce(ctx context.Context, via int) error {
	for p := range s.sums {
		v, err := s.c.Client(via).Verify(ctx, p, false)
		if err != nil {
			return err
		}
		for _, st := range v.Stripes {
			if st.Reachable < st.Total {
				return fmt.Errorf("%s stripe %d at %d of %d", p, st.Index, st.Reachable, st.Total)
			}
		}
	}
	return nil
}

// damageRandomShard damages one shard file (raw blocks: "bafk…") under dir; false if none.
func damageRandomShard(dir string, rnd *mrand.Rand) bool {
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // a partial list is enough
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "bafk") && strings.HasSuffix(path, ".data") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		return false
	}
	victim := files[rnd.IntN(len(files))]
	b, err := os.ReadFile(victim)
	if err != nil || len(b) == 0 {
		return false
	}
	switch rnd.IntN(4) {
	case 0:
		b[rnd.IntN(len(b))] ^= 0x80
	case 1:
		b = b[:len(b)/2]
	case 2:
		clear(b)
	default:
		other, err := os.ReadFile(files[(rnd.IntN(len(files)-1)+1+indexOf(files, victim))%len(files)])
		if err != nil || bytes.Equal(other, b) {
			b[0] ^= 1
		} else {
			b = other
		}
	}
	return os.WriteFile(victim, b, 0o600) == nil
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return 0
}

// firstAlive returns the first node that is not among dead, or -1.
func firstAlive(c *Cluster, dead ...int) int {
	for i := 0; i < c.Len(); i++ {
		alive := true
		for _, d := range dead {
			alive = alive && i != d
		}
		if alive {
			return i
		}
	}
	return -1
}
