package testnet

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// CatalogBenchOptions shape `meridian bench --catalog N`.
type CatalogBenchOptions struct {
	Objects int // objects to publish
	Workers int // concurrent proposals (0: 256)
	Queries int // queries of each kind (0: 200)
}

// CatalogBenchReport holds the figures of one catalog run.
type CatalogBenchReport struct {
	Objects, Voters int
	CommitTime      time.Duration // publishing every object through raft (signing included)
	CommitsPerSec   float64
	Retries         int // proposals repeated after a leader change left their outcome unknown
	// CommitCPU is the CPU the whole process spent per object while publishing: the client
	// building and signing it, and every voter's raft, bbolt and apply. ClientCPU is the
	// client's part (measured alone); VoterCPU = (CommitCPU - ClientCPU) / Voters is what one
	// voter spends, so 1/VoterCPU is the rate a voter with a core of its own sustains. These
	// hardly move with the load of other processes, unlike CommitsPerSec.
	CommitCPU, ClientCPU, VoterCPU time.Duration
	ResolveP50                     time.Duration
	ResolveP99                     time.Duration
	Searches                       []SearchFigure // one per kind
	// HeapPerObject is the heap one catalog state takes per object after GC (a fresh state
	// restored from the snapshot, indexes included); PayloadPerObject is the part of it that
	// is the record and the wrapped keys themselves.
	HeapPerObject, PayloadPerObject float64
	SnapshotBytes                   int64
	SnapshotTime                    time.Duration // writing the snapshot to a file, fsync included
	RestoreTime                     time.Duration // reading it back into a fresh state, every check and index
}

// SearchFigure is the latency of one kind of search and how many objects its queries match
// how many objects the first page held on average (at most catalog.DefaultLimit).
type SearchFigure struct {
	Kind        string
	P50, P99    time.Duration
	AvgReturned float64
}

// RunCatalogBench starts a 3-voter raft cluster on real bbolt stores in a temporary dir,
// publishes o.Objects objects through it and measures resolve, search, memory and snapshots
// on a follower's state.
func RunCatalogBench(ctx context.Context, o CatalogBenchOptions) (*CatalogBenchReport, error) {
	const op = "testnet.RunCatalogBench"
	if o.Objects <= 0 {
		return nil, errs.Errorf(op, errs.Invalid, "--catalog needs a positive number of objects")
	}
	o.Workers, o.Queries = cmpOr(o.Workers, 256), cmpOr(o.Queries, 200)
	dir, err := os.MkdirTemp("", "meridian-catbench-")
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	defer os.RemoveAll(dir)
	c, err := startRaftCluster(ctx, dir, 3)
	if err != nil {
		return nil, err
	}
	defer c.close(ctx)
	r := &CatalogBenchReport{Objects: o.Objects, Voters: len(c.nodes)}
	pids, err := commitObjects(ctx, c, o, r)
	if err != nil {
		return nil, err
	}
	s := c.states[len(c.states)-1] // a follower, or the leader after an election: both apply the same log
	if err := c.waitApplied(ctx, c.states[0].Applied()); err != nil {
		return nil, err
	}
	if err := measureReads(s, pids, o.Queries, r); err != nil {
		return nil, err
	}
	pids = nil
	runtime.GC()
	if err := measureSnapshot(s, dir, r); err != nil {
		return nil, err
	}
	return r, nil
}

func commitObjects(ctx context.Context, c *raftCluster, o CatalogBenchOptions, r *CatalogBenchReport) ([]cidT, error) {
	leader, err := c.leader(ctx)
	if err != nil {
		return nil, err
	}
	l := newBenchLoad()
	if err := l.setup(ctx, leader); err != nil {
		return nil, err
	}
	client, err := l.clientCPU(min(o.Objects, 2000))
	if err != nil {
		return nil, err
	}
	cpu0 := processCPU()
	pids, took, err := l.publishAll(ctx, leader, o.Objects, o.Workers)
	if err != nil {
		return nil, err
	}
	r.CommitTime, r.CommitsPerSec, r.Retries = took, float64(o.Objects)/took.Seconds(), int(l.retries.Load())
	r.CommitCPU, r.ClientCPU = (processCPU()-cpu0)/time.Duration(o.Objects), client
	r.VoterCPU = max(r.CommitCPU-client, 0) / time.Duration(r.Voters)
	return pids, nil
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
