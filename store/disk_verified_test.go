package store

import (
	"context"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

func TestPutVerifiedSkipsOnlyTheHash(t *testing.T) {
	d, err := OpenDisk(t.TempDir(), DiskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	data := []byte("a shard the shard protocol already hashed")
	h, _ := multihash.Sum(data, multihash.SHA2_256, -1)
	c := cid.NewCidV1(cid.Raw, h)
	if err := d.PutVerified(ctx, c, data); err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(ctx, c)
	if err != nil || string(got) != string(data) {
		t.Fatalf("Get after PutVerified = %q, %v", got, err)
	}
	// The size cap and CID checks still apply.
	if err := d.PutVerified(ctx, cid.Cid{}, data); err == nil {
		t.Fatal("PutVerified accepted an undefined CID")
	}
}
