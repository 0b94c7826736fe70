package shardproto

import (
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/blockhash"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// Shards are named by blake3 now and by sha2-256 before; the protocol moves and checks both:
// a PUT whose body does not hash to its CID is refused before the store, and a GET of bytes
// that do not hash to the CID is Corrupt, under either hash.
func TestBothShardHashes(t *testing.T) {
	fs := fakestore.New()
	p := newPair(t, ServerConfig{Store: lyingStore{fs}})
	data, _ := shard(40, 300_000)
	other, _ := shard(41, 300_000)
	for name, c := range map[string]cid.Cid{"blake3": fakestore.CID(data), "sha256": fakestore.LegacyCID(data)} {
		if name == "blake3" && !blockhash.IsBLAKE3(c) {
			t.Fatalf("fakestore names shards with %v", c.Prefix())
		}
		if err := p.client.PutShard(ctx(t), p.remote, c, other); !errs.Is(err, errs.Corrupt) {
			t.Errorf("%s: PUT of bytes under another CID: %v, want Corrupt", name, err)
		}
		if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
			t.Fatalf("%s: PUT: %v", name, err)
		}
		got, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0)
		if err != nil || string(got) != string(data) {
			t.Fatalf("%s: GET: %v", name, err)
		}
		fs.Corrupt(c)
		if _, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); !errs.Is(err, errs.Corrupt) {
			t.Errorf("%s: GET of corrupt bytes: %v, want Corrupt", name, err)
		}
	}
	if err := Verify(fakestore.CID(data), data); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
