package node

import (
	"os"
	"path/filepath"
	"syscall"
)

// FillRaftDisk makes every write to this node's Raft log fail with ENOSPC, as on a full
// disk: heartbeats still arrive and are answered, appends are refused, so the node falls
// behind while it still hears from the leader. full=false lets writes through again. It
// exists for fault-injection tests (package testnet), like Partition.
func (n *Node) FillRaftDisk(full bool) {
	if !full {
		n.raft.FailLogWrites(nil)
		return
	}
	n.raft.FailLogWrites(&os.PathError{Op: "write", Path: filepath.Join(n.cfg.DataDir, "raft", "raft.db"), Err: syscall.ENOSPC})
}
