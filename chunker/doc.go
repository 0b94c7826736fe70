// Package chunker turns a byte stream into compressed, encrypted, erasure-coded shards plus a
// canonical manifest, and back; it is pure (no network, no disk) and imports only errs,
// blockhash (block names) and its own crypt subpackage.
//
// Encode computes, alongside, the object's content CID (the UnixFS CID that
// `ipfs add --only-hash --cid-version=1 --chunker=size-1048576 --max-file-links=1024` prints)
// and its whole-content sha256. See docs/chunker.md for the formats and the measurements.
package chunker
