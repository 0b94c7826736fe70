package fetch

import (
	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// verify checks that data hashes to c.
func verify(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return errs.E("fetch.verify", errs.Invalid, err)
	}
	if !got.Equals(c) {
		return errs.Errorf("fetch.verify", errs.Corrupt, "shard bytes do not hash to %s", c)
	}
	return nil
}
