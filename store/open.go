package store

import (
	"context"
	"errors"
	"io"
	"io/fs"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// Opener is an optional fast path of a Store for serving blocks to a peer that verifies them
// itself (the shard protocol's receiver hashes every shard against its CID): OpenUnverified
// returns the stored bytes as they are, without hashing them here, so a shard read by another
// node is hashed once, by the node that relies on it, not twice. Local readers use Get, which
// verifies; rot is also found by Scrub.
type Opener interface {
	// OpenUnverified returns a reader over the stored block and its size. The caller closes it.
	OpenUnverified(ctx context.Context, c cid.Cid) (Block, int64, error)
}

// Block is an open stored block.
type Block interface {
	io.ReaderAt
	io.Closer
}

// OpenUnverified implements Opener.
func (d *Disk) OpenUnverified(ctx context.Context, c cid.Cid) (Block, int64, error) {
	const op = "store.Disk.OpenUnverified"
	if err := d.check(ctx, op, c); err != nil {
		return nil, 0, err
	}
	f, err := d.fs.Open(d.path(c))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 0, notExist(op, c)
	case err != nil:
		return nil, 0, errs.E(op, ioKind(err), err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, errs.E(op, ioKind(err), err)
	}
	if fi.Size() > MaxBlockSize {
		f.Close()
		return nil, 0, errs.Errorf(op, errs.Corrupt, "block file for %s is larger than any block: run a scrub", c)
	}
	return f, fi.Size(), nil
}

// readBlock reads a block file into a buffer of its exact size, refusing files larger than
// MaxBlockSize. Reads go through the page cache (kernel readahead, hot blocks cached): reading
// with O_DIRECT was measured slower (see direct.go).
func (d *Disk) readBlock(path string) ([]byte, error) {
	f, err := d.fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxBlockSize {
		return nil, errs.Errorf("", errs.Corrupt, "block file %s is larger than any block", path)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}
