// Package node is the composition root of a Meridian daemon: it wires the shard store, the
// libp2p mesh, Raft consensus over the catalog and the HTTP API, and implements the publish and
// fetch paths; it is the only package that knows all the others.
package node
