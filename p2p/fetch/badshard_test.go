package fetch

import (
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// TestFetchReportsBadShards: a holder sending corrupt bytes and an assigned holder without its
// shard are reported while the fetch routes around them; a fallback peer without the shard
// is not (it was never meant to hold it).
func TestFetchReportsBadShards(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	net.bad["p0"] = true
	net.mu.Lock()
	delete(net.data["p1"], cids[1])
	net.mu.Unlock()
	holders[1] = append(holders[1], "q") // a fallback that lacks it too
	var mu sync.Mutex
	got := map[int]error{}
	f := New(net, net, Config{})
	out, err := f.FetchStripeWatch(testCtx(t), cids, holders, 3, func(shard int, p peer.ID, err error) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[shard]; dup {
			t.Errorf("shard %d reported twice", shard)
		}
		if p != holders[shard][0] {
			t.Errorf("shard %d reported against %s, not its holder", shard, p)
		}
		got[shard] = err
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, out, data, 3)
	if len(got) != 2 || !errs.Is(got[0], errs.Corrupt) || !errs.Is(got[1], errs.NotExist) {
		t.Fatalf("reported %v, want shard 0 Corrupt and shard 1 NotExist", got)
	}
}
