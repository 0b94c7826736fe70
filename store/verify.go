package store

import (
	"context"
	"errors"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/errs"
)

// MaxBlockSize is the largest block a store accepts. Shards of 4 MiB stripes and manifests are
// far smaller; the limit keeps a single Get's memory bounded.
const MaxBlockSize = 32 << 20

// Verify checks that data hashes to c (blake3 or sha2-256, 32 bytes, any codec: shards are
// raw, manifests dag-cbor). It returns Invalid for an unsupported CID and Corrupt when the
// bytes do not match.
func Verify(c cid.Cid, data []byte) error {
	return verify("store.Verify", c, data)
}

func verify(op string, c cid.Cid, data []byte) error {
	return blockhash.Verify(op, c, data)
}

// checkPut does the checks every Put starts with: context, size and hash.
func checkPut(ctx context.Context, op string, c cid.Cid, data []byte) error {
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if len(data) > MaxBlockSize {
		return errs.Errorf(op, errs.Invalid, "block %s is %d bytes, more than the limit of %d", c, len(data), MaxBlockSize)
	}
	return verify(op, c, data)
}

// check does the checks every call on one block starts with: context and CID.
func check(ctx context.Context, op string, c cid.Cid) error {
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	return blockhash.CheckCID(op, c)
}

// ctxErr turns a done context into an error with a kind: Timeout for a deadline, Other for a
// cancellation (the caller gave up; nothing to report).
func ctxErr(ctx context.Context, op string) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return errs.E(op, errs.Timeout, err)
	}
	return errs.E(op, errs.Other, err)
}

// notExist is the error for a missing block.
func notExist(op string, c cid.Cid) error {
	return errs.Errorf(op, errs.NotExist, "block %s is not in this store", c)
}

// noSpace is the error for a block that does not fit.
func noSpace(op string, c cid.Cid, size, free int64) error {
	return errs.Errorf(op, errs.NoSpace, "block %s needs %d bytes but only %d are free; delete blocks, raise the capacity or add disk", c, size, free)
}
