package fetch_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/fetch"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
	"github.com/meridian-fed/meridian/p2p/shardproto"
)

// TestMeshFetchWithHostsDown spreads a k=6, m=4 stripe over 10 of 13 mocknet hosts (each
// shard on two hosts), takes hosts down and fetches through the real shard protocol.
func TestMeshFetchWithHostsDown(t *testing.T) {
	const n, k, m = 13, 6, 4
	mn, err := mocknet.FullMeshConnected(n)
	if err != nil {
		t.Fatal(err)
	}
	defer mn.Close()
	hosts := mn.Hosts()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cids := make([]cid.Cid, k+m)
	data := make([][]byte, k+m)
	holders := make([][]peer.ID, k+m)
	for i := range hosts[1:] {
		srv := shardproto.NewServer(hosts[1+i], shardproto.ServerConfig{Store: fakestore.New()})
		defer srv.Close()
	}
	client := shardproto.NewClient(hosts[0], shardproto.Limits{})
	for i := range cids {
		data[i] = bytes.Repeat([]byte{byte(i)}, 100_000)
		cids[i] = fakestore.CID(data[i])
		for _, h := range []int{1 + i, 1 + (i+5)%12} {
			holders[i] = append(holders[i], hosts[h].ID())
			if err := client.PutShard(ctx, hosts[h].ID(), cids[i], data[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := fetch.New(client, nil, fetch.Config{Self: hosts[0].ID()})
	// down cuts a host off from the client (closing a mocknet host leaves it reachable).
	down := func(h int) {
		_ = mn.DisconnectPeers(hosts[0].ID(), hosts[h].ID())
		if err := mn.UnlinkPeers(hosts[0].ID(), hosts[h].ID()); err != nil {
			t.Fatal(err)
		}
	}
	for round, downs := range [][]int{{}, {1, 2, 3}, {1, 2, 3, 6, 7, 8}} {
		for _, d := range downs {
			down(d)
		}
		got, err := f.FetchStripe(ctx, cids, holders, k)
		if err != nil {
			t.Fatalf("round %d (%d hosts down): %v", round, len(downs), err)
		}
		have := 0
		for i, b := range got {
			if b != nil {
				have++
				if !bytes.Equal(b, data[i]) {
					t.Fatalf("round %d: shard %d differs", round, i)
				}
			}
		}
		if have < k {
			t.Fatalf("round %d: %d shards", round, have)
		}
	}
	// Shard i lives on hosts 1+i and 1+(i+5)%12. With 1,2,3,6,7,8 down, shards 3,4,5,6,8,9
	// remain (exactly k); taking 4,9,5,10 down too leaves only shards 5 and 6.
	for _, d := range []int{4, 9, 5, 10} {
		down(d)
	}
	if _, err := f.FetchStripe(ctx, cids, holders, k); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("fetch with 5 of 10 shards left: %v", err)
	}
}
