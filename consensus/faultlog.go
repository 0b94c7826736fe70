package consensus

import (
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// faultyLogs is the node's log store as raft sees it: the bbolt store, whose writes can be
// made to fail (FailLogWrites) the way they fail on a full disk. Reads always pass.
type faultyLogs struct {
	raft.LogStore
	fail atomic.Pointer[error] // nil: writes go through
}

func (f *faultyLogs) writeErr() error {
	if p := f.fail.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *faultyLogs) StoreLog(l *raft.Log) error {
	if err := f.writeErr(); err != nil {
		return err
	}
	return f.LogStore.StoreLog(l)
}

func (f *faultyLogs) StoreLogs(ls []*raft.Log) error {
	if err := f.writeErr(); err != nil {
		return err
	}
	return f.LogStore.StoreLogs(ls)
}

func (f *faultyLogs) DeleteRange(lo, hi uint64) error {
	if err := f.writeErr(); err != nil {
		return err
	}
	return f.LogStore.DeleteRange(lo, hi)
}

// FailLogWrites makes every later write to this node's Raft log fail with err, as on a full
// disk (heartbeats still arrive and are answered; appends are refused); nil restores
// writes. It exists for fault-injection tests.
func (n *Node) FailLogWrites(err error) {
	if err == nil {
		n.logFaults.fail.Store(nil)
		return
	}
	n.logFaults.fail.Store(&err)
}
