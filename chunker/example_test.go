package chunker_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"filippo.io/age"
	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/chunker"
)

// shardMap is the simplest shard store: a map from shard CID to bytes.
type shardMap struct {
	mu sync.Mutex
	m  map[cid.Cid][]byte
}

func (s *shardMap) put(_ context.Context, es *chunker.EncodedStripe) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range es.CIDs {
		s.m[c] = bytes.Clone(es.Shards[i]) // shards are only valid during put
	}
	return nil
}

func (s *shardMap) Shards(_ context.Context, _ int, cids []cid.Cid, _ int) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(cids))
	for i, c := range cids {
		out[i] = s.m[c] // nil when missing: Decode rebuilds from any k
	}
	return out, nil
}

// Encode an object, wrap its key for a member, then read a byte range back with two shards of
// every stripe lost.
func Example() {
	ctx := context.Background()
	member, _ := age.GenerateX25519Identity()
	dek, _ := chunker.NewDEK()
	wrapped, _ := chunker.WrapKey(dek, member.Recipient()) // goes to the catalog, not beside the shards

	store := &shardMap{m: map[cid.Cid][]byte{}}
	data := strings.Repeat("Meridian ", 1<<20) // 9 MiB: three 4 MiB stripes
	res, err := chunker.Encode(ctx, strings.NewReader(data), chunker.DefaultParams(), dek, store.put)
	if err != nil {
		panic(err)
	}
	for _, s := range res.Manifest.Stripes {
		delete(store.m, s.Shards[0])
		delete(store.m, s.Shards[4])
	}

	m, _ := chunker.DecodeManifest(res.ManifestBytes) // as fetched from a holder
	key, _ := chunker.UnwrapKey(wrapped, member)
	var out bytes.Buffer
	if err := chunker.Decode(ctx, m, key, store, &out, 9*1000, 17); err != nil {
		panic(err)
	}
	fmt.Printf("%d stripes, %q\n", len(m.Stripes), out.String())
	// Output: 3 stripes, "Meridian Meridian"
}
