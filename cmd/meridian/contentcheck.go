package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
)

// getVerified downloads the whole content of p to w and checks it here: the record against
// the PID first (offline), then the bytes against the record's content CID, sha256 and size.
func getVerified(ctx context.Context, c *api.Client, p string, w io.Writer, res *getResult) error {
	const op = "get"
	obj, err := c.Object(ctx, p)
	if err != nil {
		return err
	}
	if err := checkRecord(p, obj).err(op, p); err != nil {
		return err
	}
	cw := newCIDWriter()
	res.Bytes, err = c.SkipDigest().Get(ctx, p, io.MultiWriter(w, cw)) // cw checks content CID and sha256
	id, cerr := cw.finish()
	if err != nil {
		return err
	}
	if cerr != nil {
		return errs.E(op, errs.Internal, cerr)
	}
	if err := matchContent(obj.Record, id); err != nil {
		return errs.Errorf(op, errs.Corrupt, "%s: %v; the bytes were discarded, try again or another node with --endpoint", p, err)
	}
	res.Content, res.Verified = id.CID.String(), true
	return nil
}

// matchContent compares computed content identifiers with a record.
func matchContent(r api.Record, id chunker.ContentID) error {
	want, err := cid.Decode(r.Content)
	switch {
	case err != nil:
		return fmt.Errorf("the record's content CID %q does not parse", r.Content)
	case id.Size != r.Size:
		return fmt.Errorf("got %d bytes, the record says %d", id.Size, r.Size)
	case !id.CID.Equals(want):
		return fmt.Errorf("the bytes have content CID %s, the record says %s", id.CID, r.Content)
	case hex.EncodeToString(id.SHA256[:]) != r.SHA256:
		return fmt.Errorf("the bytes have sha256 %x, the record says %s", id.SHA256, r.SHA256)
	}
	return nil
}
