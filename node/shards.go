package node

import (
	"context"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/p2p/shardproto"
	"github.com/meridian-fed/meridian/store"
)

// shardIO sends and fetches blocks, short-circuiting to the local store for this node's own
// peer ID, so the publishing node is not a special case of placement.
type shardIO struct {
	self   peer.ID
	local  store.Store
	remote *shardproto.Client
	// provide, when set, queues a DHT announcement of a block stored locally.
	provide func(cid.Cid) bool
}

// put stores a block on p. Callers pass bytes whose CID they computed themselves (the
// encoder, repair after verifying), so the local store need not hash them again.
func (s *shardIO) put(ctx context.Context, p peer.ID, c cid.Cid, data []byte) error {
	if p == s.self {
		var err error
		if vp, ok := s.local.(shardproto.VerifiedPutter); ok {
			err = vp.PutVerified(ctx, c, data)
		} else {
			err = s.local.Put(ctx, c, data)
		}
		if err == nil && s.provide != nil {
			s.provide(c) // announced like a shard received over the network
		}
		return err
	}
	return s.remote.PutShard(ctx, p, c, data)
}

func (s *shardIO) get(ctx context.Context, p peer.ID, c cid.Cid) ([]byte, error) {
	if p == s.self {
		return s.local.Get(ctx, c)
	}
	return s.remote.GetShard(ctx, p, c, 0, 0)
}

func (s *shardIO) has(ctx context.Context, p peer.ID, cids []cid.Cid) ([]bool, error) {
	if p != s.self {
		return s.remote.HasShards(ctx, p, cids)
	}
	out := make([]bool, len(cids))
	for i, c := range cids {
		ok, err := s.local.Has(ctx, c)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}
