// Package blockhash names stored blocks by their bytes and checks bytes against a block's
// CID. Shards and manifests are named with BLAKE3 (multihash 0x1e, 32 bytes): it is about
// twice as fast as sha256 on one core here, and every holder and reader hashes every shard.
// Blocks named by sha2-256 before BLAKE3 (and content CIDs, which stay sha256 so they equal
// `ipfs add`'s) are read and checked too. It imports only errs; store, chunker, p2p and scalesim use it.
package blockhash
