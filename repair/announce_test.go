package repair

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
)

// announcingNet records the announcements repair asks for.
type announcingNet struct {
	*fakeNet
	mu   sync.Mutex
	seen map[string][]cid.Cid
}

func (a *announcingNet) Announce(ctx context.Context, node string, cids []cid.Cid) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[node] = append(a.seen[node], cids...)
	return nil
}

func TestRebuiltShardsAreAnnouncedByTheirNewHolder(t *testing.T) {
	f := newFed(t, pol32, "a", "a", "b", "b", "c", "c")
	m := f.publish("o", 64<<10)
	c := m.Stripes[0].Shards[0]
	old := f.net.holders(c)[0]
	f.net.mu.Lock()
	delete(f.net.blocks[old], c)
	f.net.mu.Unlock()
	an := &announcingNet{fakeNet: f.net, seen: map[string][]cid.Cid{}}
	total := 0
	for _, n := range f.nodes {
		rep, err := f.repairer(n.ID, func(cfg *Config) { cfg.Shards = an }).Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += rep.Rebuilt
	}
	holder := f.net.holders(c)
	if total != 1 || len(holder) != 1 {
		t.Fatalf("rebuilt %d, holders %v; want one rebuild on one node", total, holder)
	}
	if !slices.Contains(an.seen[holder[0]], c) {
		t.Fatalf("announcements %v do not include the rebuilt shard on its holder", an.seen)
	}
}
