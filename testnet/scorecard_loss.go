package testnet

import (
	"context"
	"io"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// permanentLoss kills the node holding the most data and times the way back to k+m. Repair
// throughput is the shard bytes rebuilt and acknowledged by their new holders, all nodes
// together, over the time from the first rebuild's start to the last acknowledgement.
func (s *scorer) permanentLoss(ctx context.Context, prof io.Writer) error {
	victim := s.biggestHolder(ctx)
	if err := s.limits(ctx); err != nil {
		return err
	}
	if err := s.c.Kill(victim); err != nil {
		return err
	}
	w := &rebuildWatch{s: s, killed: time.Now(), base: s.activity(time.Time{}).bytes, prof: prof}
	err := w.wait(ctx)
	if w.profiling {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	w.score(s.card)
	s.readAll(ctx, 0)
	return nil
}

// biggestHolder returns the node other than node 0 (through which the scorecard reads) that
// stores the most bytes.
func (s *scorer) biggestHolder(ctx context.Context) int {
	victim, held := 1, int64(0)
	for i := 1; i < s.c.Len(); i++ {
		st, err := s.c.Node(i).Status(ctx, api.Subject{Anonymous: true})
		if err == nil && st.Node.Used > held {
			victim, held = i, st.Node.Used
		}
	}
	return victim
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
		if err := w.observe(w.s.activity(w.killed)); err != nil {
			return err
		}
		if !w.last.busy && time.Since(verified) >= 20*time.Millisecond {
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

// observe takes one poll of the repair activity: it keeps the first rebuild's start, reads
// the process CPU time at that start and at each newly stored shard, and starts the CPU
// profile once a rebuild is under way.
func (w *rebuildWatch) observe(a rebuilds) error {
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
	return nil
}

// score writes what the watch saw into the card.
func (w *rebuildWatch) score(card *Scorecard) {
	card.RedundancyAfterLoss = w.full.Sub(w.killed)
	card.RepairedBytes = w.last.bytes - w.base
	if w.last.bytes <= w.base {
		return
	}
	card.RepairStart = w.last.began.Sub(w.killed)
	card.RepairWindow = w.last.stored.Sub(w.last.began)
	card.RepairMBs = mbPerSec(card.RepairedBytes, card.RepairWindow)
	cpu := (w.cpuStored - w.cpuBegan).Seconds()
	card.RepairCores = cpu / card.RepairWindow.Seconds()
	card.RepairCPUPerGB = cpu / (float64(card.RepairedBytes) / 1e9)
}

// processCPU returns the user and system CPU time this process (every node) has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
