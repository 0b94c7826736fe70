package testnet

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// The scorecard is split by job: this file runs it and scores reads; scorecard_trials.go
// injects node losses and disk corruption; scorecard_loss.go times the repair after a
// permanent loss; scorecard_limits.go measures the same-run transport and Reed-Solomon limits.

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
	Nodes, Members, K, M int // the federation measured: in-process nodes, members, Reed-Solomon k+m
	Trials, Objects      int
	Reads                int           // object reads made during the trials
	Losses               int           // reads that failed (goal 0)
	WrongBytes           int           // reads that returned other bytes than published (goal 0)
	CorruptionsInjected  int           // shard files damaged on disk
	CorruptionsDetected  int           // of those, found and removed by a read or a scrub
	Published            int64         // bytes of objects held when a node is lost for good (Objects, then 8 MiB ones up to LossMiB)
	RedundancyAfterLoss  time.Duration // permanent loss of a node: time until every stripe is back at k+m
	RepairGrace          time.Duration // part of that time spent waiting on purpose
	RepairInterval       time.Duration // between repair passes: up to this much more waiting
	RepairedBytes        int64         // shard bytes the repair loops rebuilt and stored on new holders after the loss
	RepairStart          time.Duration // from the loss to the first rebuild's start (grace and pass timing)
	RepairWindow         time.Duration // from the first rebuild's start to the last rebuilt shard's acknowledgement, all nodes
	RepairMBs            float64       // RepairedBytes / RepairWindow, in MB/s
	RepairCores          float64       // CPU cores the process (all nodes) kept busy on average during RepairWindow
	RepairCPUPerGB       float64       // CPU-seconds the process spent in RepairWindow per GB rebuilt

	// Limits measured in the same run, just before the loss (a busy machine shows in both):
	TransportMBs float64 // libp2p streams (noise with the key prologue, yamux, TCP), 3 node pairs at once, both ends in this process
	RSDecodeMBs  float64 // Reed-Solomon rebuild of one lost shard of 3+2, shard bytes out per second, one core
	// RepairBoundMBs = TransportMBs / k: every rebuilt byte crosses the transport k times (k-1
	// fetches and one store, or k fetches), so repair cannot beat it on this machine.
	RepairBoundMBs float64

	// CorruptionToFull is the longest, over the corruption trials, from the end of the read
	// that met the damaged shards (each found is reported to its stripe's repairer at once; the
	// damaged nodes are then scrubbed) until every stripe is back at k+m.
	CorruptionToFull time.Duration
}

// The scorecard federation: nodes, members (node i belongs to member i mod 3) and its
// Reed-Solomon parameters.
const scoreNodes, scoreMembers, scoreK, scoreM = 6, 3, 3, 2

// The scorecard's repair timing: grace before a lost node's shards are rebuilt, and the time
// between repair passes.
const scoreGrace, scoreInterval = time.Second, 200 * time.Millisecond

// RunScorecard starts a 6-node, 3-member federation (3+2) in a temporary dir and measures it.
func RunScorecard(ctx context.Context, o ScoreOptions) (*Scorecard, error) {
	dir, err := os.MkdirTemp("", "meridian-scorecard-")
	if err != nil {
		return nil, errs.E("testnet.RunScorecard", errs.Unavailable, err)
	}
	defer os.RemoveAll(dir)
	c, err := startScoreFederation(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s := &scorer{c: c, rnd: mrand.New(mrand.NewPCG(o.Seed, 7)), sums: map[string][32]byte{},
		card: &Scorecard{Nodes: scoreNodes, Members: scoreMembers, K: scoreK, M: scoreM, Trials: o.Trials, Objects: o.Objects,
			RepairGrace: scoreGrace, RepairInterval: scoreInterval}}
	return s.card, s.run(ctx, o)
}

// startScoreFederation starts the scorecard's federation in dir, with repair's rate limit off
// so that the scorecard measures repair, not its limiter.
func startScoreFederation(ctx context.Context, dir string) (*Cluster, error) {
	return Start(ctx, Options{Dir: dir, Nodes: scoreNodes, Members: scoreMembers, K: scoreK, M: scoreM,
		Tune: func(cfg *node.Config) {
			cfg.RepairGrace, cfg.RepairInterval, cfg.RepairRate = scoreGrace, scoreInterval, 0
		}})
}

// run publishes, runs the trials, tops the federation up and loses a node for good.
func (s *scorer) run(ctx context.Context, o ScoreOptions) error {
	if err := s.publish(ctx, o.Objects); err != nil {
		return err
	}
	for range o.Trials {
		if err := s.lossTrial(ctx); err != nil {
			return err
		}
		if err := s.corruptionTrial(ctx); err != nil {
			return err
		}
	}
	if err := s.fill(ctx, cmp.Or(o.LossMiB, 384)); err != nil {
		return err
	}
	return s.permanentLoss(ctx, o.CPUProfile)
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
