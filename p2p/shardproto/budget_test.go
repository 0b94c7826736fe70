package shardproto

import (
	"context"
	"testing"
	"time"

	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
	"github.com/meridian-fed/meridian/p2p/wire"
)

// TestSlowPeerStallsOnlyItself: a peer that announces shard bodies and never sends them holds
// at most its share of the server's body budget, so another peer's PUT still goes through.
func TestSlowPeerStallsOnlyItself(t *testing.T) {
	mn, err := mocknet.FullMeshConnected(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	hs := mn.Hosts()
	const shardMax = 1 << 20
	srv := NewServer(hs[2], ServerConfig{Store: fakestore.New(), MaxInflight: 4 * shardMax, Limits: Limits{MaxShardSize: shardMax}})
	t.Cleanup(srv.Close)
	_, c := shard(31, shardMax)
	for range 4 { // without per-peer shares these four would take the whole budget
		st, err := hs[0].NewStream(ctx(t), hs[2].ID(), ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Reset() })
		if err := wire.WriteFrame(st, wire.TPut, new(wire.Enc).CID(c).Uvarint(shardMax).Out()); err != nil {
			t.Fatal(err)
		}
	}
	data, c2 := shard(32, shardMax)
	honest := NewClient(hs[1], Limits{MaxShardSize: shardMax})
	cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := honest.PutShard(cctx, hs[2].ID(), c2, data); err != nil {
		t.Fatalf("PUT from another peer while one stalls its bodies: %v", err)
	}
}
