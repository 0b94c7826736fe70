// Package store keeps content-addressed blocks (shards and manifests) on a node's local disk,
// verifying every block against its CID on the way in and on the way out.
package store

import (
	"context"

	"github.com/ipfs/go-cid"
)

// Store is a content-addressed block store. Every block is named by the CID of its bytes
// (sha2-256 multihash); implementations verify that on Put and on Get.
//
// Errors carry an errs.Kind: NotExist for a missing block, Corrupt for bytes that do not match
// their CID (on Put: the caller's bytes; on Get: the stored bytes, which are then reported by
// Scrub), NoSpace when the store is full, Invalid for an unsupported CID (blocks are CIDv1 with
// a sha2-256 multihash, any codec). Scrub re-hashes a whole Store.
type Store interface {
	// Put stores data under c after checking that data hashes to c. It returns only after the
	// block is durable (file and directory fsynced). Putting an existing intact block is a
	// no-op; a damaged stored copy is replaced, so putting a block again repairs it. Put keeps
	// no reference to data once it returns: callers may reuse the buffer.
	Put(ctx context.Context, c cid.Cid, data []byte) error
	// Get returns the block's bytes, verified against c.
	Get(ctx context.Context, c cid.Cid) ([]byte, error)
	// Has reports whether the block is present (without verifying it).
	Has(ctx context.Context, c cid.Cid) (bool, error)
	// Stat returns the block's size in bytes.
	Stat(ctx context.Context, c cid.Cid) (int64, error)
	// Delete removes the block; deleting a missing block is not an error.
	Delete(ctx context.Context, c cid.Cid) error
	// Enumerate calls fn for every block in the store, in no particular order, until fn
	// returns an error or ctx is done.
	Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error
	// Usage reports bytes used by blocks and bytes still free for blocks.
	Usage(ctx context.Context) (Usage, error)
}

// Usage is the space accounting of a store.
type Usage struct {
	Blocks int64 // number of blocks
	Used   int64 // bytes of block data
	Free   int64 // bytes that may still be written (capacity limit or free disk space)
}
