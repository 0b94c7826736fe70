// Package consensus replicates a deterministic state machine over Raft between libp2p peers.
//
// It wraps github.com/hashicorp/raft with a bbolt log and stable store, file snapshots and a
// transport over libp2p streams (protocol /meridian/raft/1.0.0). Followers forward proposals,
// membership changes and read-index requests to the leader over /meridian/propose/1.0.0, so a
// caller may use any node. Two read paths exist: reading the FSM directly (for immutable
// things such as PIDs) and LinearizableRead, which waits until the local FSM has applied
// everything the leader had committed when the read began. See docs/consensus.md.
//
// The package imports only errs from the project: the state machine is a small interface
// declared here (FSM), implemented by the catalog through an adapter in node.
package consensus
