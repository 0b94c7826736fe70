package shardproto

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// hookLog records the server's Stored and Deleted calls.
type hookLog struct {
	mu              sync.Mutex
	stored, deleted []cid.Cid
}

func (h *hookLog) store(c cid.Cid) { h.mu.Lock(); h.stored = append(h.stored, c); h.mu.Unlock() }
func (h *hookLog) del(c cid.Cid)   { h.mu.Lock(); h.deleted = append(h.deleted, c); h.mu.Unlock() }

// TestHooksSeeStoredAndDeletedShards: the hooks the node announces and forgets through are
// called once a PUT is stored and a DELETE done, and not for a PUT that was refused.
func TestHooksSeeStoredAndDeletedShards(t *testing.T) {
	h := &hookLog{}
	p := newPair(t, ServerConfig{Stored: h.store, Deleted: h.del,
		AllowDelete: func(context.Context, peer.ID, cid.Cid) bool { return true }})
	good, c := shard(1, 4096)
	if err := p.client.PutShard(ctx(t), p.remote, c, good); err != nil {
		t.Fatal(err)
	}
	_, other := shard(2, 4096)
	if err := p.client.PutShard(ctx(t), p.remote, other, good); err == nil { // bytes of another CID
		t.Fatal("a PUT whose bytes do not hash to its CID was accepted")
	}
	if err := p.client.DeleteShard(ctx(t), p.remote, c); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Equal(h.stored, []cid.Cid{c}) || !slices.Equal(h.deleted, []cid.Cid{c}) {
		t.Fatalf("stored %v, deleted %v; want [%s] each", h.stored, h.deleted, c)
	}
}
