package fetch

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

// fakeNet serves shards from per-peer maps, with per-peer behaviour knobs.
type fakeNet struct {
	mu    sync.Mutex
	data  map[peer.ID]map[cid.Cid][]byte
	slow  map[peer.ID]bool // block until cancelled
	bad   map[peer.ID]bool // return corrupted bytes
	calls map[peer.ID]int
	provs map[cid.Cid][]peer.ID
}

func newFakeNet() *fakeNet {
	return &fakeNet{data: map[peer.ID]map[cid.Cid][]byte{}, slow: map[peer.ID]bool{}, bad: map[peer.ID]bool{}, calls: map[peer.ID]int{}, provs: map[cid.Cid][]peer.ID{}}
}

func (n *fakeNet) put(p peer.ID, c cid.Cid, b []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.data[p] == nil {
		n.data[p] = map[cid.Cid][]byte{}
	}
	n.data[p][c] = b
}

func (n *fakeNet) GetShard(ctx context.Context, p peer.ID, c cid.Cid, off, length int64) ([]byte, error) {
	n.mu.Lock()
	n.calls[p]++
	b, ok := n.data[p][c]
	slow, bad := n.slow[p], n.bad[p]
	n.mu.Unlock()
	if slow {
		<-ctx.Done()
		return nil, errs.E("fake", errs.Timeout, ctx.Err())
	}
	if !ok {
		return nil, errs.Errorf("fake", errs.NotExist, "%s not on %s", c, p)
	}
	if bad {
		b = append([]byte{^b[0]}, b[1:]...)
	}
	return b, nil
}

func (n *fakeNet) FindProviders(ctx context.Context, c cid.Cid) ([]peer.AddrInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []peer.AddrInfo
	for _, p := range n.provs[c] {
		out = append(out, peer.AddrInfo{ID: p})
	}
	return out, nil
}

func (n *fakeNet) callCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := 0
	for _, c := range n.calls {
		t += c
	}
	return t
}

// stripe makes n shards, shard i held by peer "p<i>".
func stripe(net *fakeNet, n int) ([]cid.Cid, [][]peer.ID, [][]byte) {
	cids := make([]cid.Cid, n)
	holders := make([][]peer.ID, n)
	data := make([][]byte, n)
	for i := range n {
		data[i] = bytes.Repeat([]byte{byte(i + 1)}, 4096+i)
		cids[i] = fakestore.CID(data[i])
		p := peer.ID(fmt.Sprintf("p%d", i))
		holders[i] = []peer.ID{p}
		net.put(p, cids[i], data[i])
	}
	return cids, holders, data
}

func check(t *testing.T, got [][]byte, want [][]byte, k int) {
	t.Helper()
	n := 0
	for i, b := range got {
		if b == nil {
			continue
		}
		n++
		if !bytes.Equal(b, want[i]) {
			t.Errorf("shard %d differs", i)
		}
	}
	if n < k {
		t.Errorf("got %d shards, want at least %d", n, k)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFetchAsksOnlyK(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	f := New(net, net, Config{})
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
	if c := net.callCount(); c != 3 {
		t.Errorf("%d requests for k=3", c)
	}
}

func TestFetchHedgesAroundSlowHolder(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	net.slow["p0"] = true
	f := New(net, net, Config{MinHedge: time.Millisecond})
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
	if got[0] != nil {
		t.Error("the slow holder's shard was returned")
	}
}

func TestFetchRejectsCorruptShard(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	net.bad["p1"] = true
	f := New(net, net, Config{})
	got, err := f.FetchStripe(testCtx(t), cids, holders, 4)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 4)
	if got[1] != nil {
		t.Error("a corrupt shard was returned")
	}
	if s := f.Stats().Peer("p1"); s.Fails != 1 {
		t.Errorf("corrupt peer has %d failures recorded", s.Fails)
	}
}

func TestFetchFallsBackToProviders(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	// Shards 0-2 moved away from their computed holders after a membership change.
	for i := range 3 {
		from, to := holders[i][0], peer.ID(fmt.Sprintf("moved%d", i))
		delete(net.data[from], cids[i])
		net.put(to, cids[i], data[i])
		net.provs[cids[i]] = []peer.ID{to}
	}
	net.data["p3"], net.data["p4"] = nil, nil // and two holders are gone
	f := New(net, net, Config{})
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
}

func TestFetchUnavailable(t *testing.T) {
	net := newFakeNet()
	cids, holders, _ := stripe(net, 5)
	net.data["p0"], net.data["p1"], net.data["p2"] = nil, nil, nil
	f := New(net, net, Config{})
	if _, err := f.FetchStripe(testCtx(t), cids, holders, 3); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("fetch with 2 of 3 shards reachable: %v", err)
	}
}

func TestFetchRespectsDeadline(t *testing.T) {
	net := newFakeNet()
	cids, holders, _ := stripe(net, 3)
	for _, h := range holders {
		net.slow[h[0]] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := New(net, nil, Config{}).FetchStripe(ctx, cids, holders, 3); !errs.Is(err, errs.Timeout) {
		t.Fatalf("fetch past the deadline: %v", err)
	}
}

func TestFetchInvalid(t *testing.T) {
	f := New(newFakeNet(), nil, Config{})
	if _, err := f.FetchStripe(testCtx(t), make([]cid.Cid, 2), make([][]peer.ID, 1), 1); !errs.Is(err, errs.Invalid) {
		t.Errorf("mismatched holders: %v", err)
	}
}

func TestStatsPreferFastPeer(t *testing.T) {
	s := NewStats()
	for range 10 {
		s.Observe("fast", 1<<20, 10*time.Millisecond)
		s.Observe("slow", 1<<20, 200*time.Millisecond)
	}
	if s.Expect("fast", 1<<20) >= s.Expect("slow", 1<<20) {
		t.Errorf("fast %v not below slow %v", s.Expect("fast", 1<<20), s.Expect("slow", 1<<20))
	}
	// The hedge delay is at least mult times the expected time (before any failure, which
	// raises Expect but not the hedge delay).
	before := s.Expect("fast", 1<<20)
	if h := s.HedgeAfter("fast", 1<<20, 2); h < 2*before {
		t.Errorf("hedge delay %v below twice the expected %v", h, before)
	}
	s.Fail("fast")
	if s.Expect("fast", 1<<20) <= before {
		t.Error("a failure did not raise the expected time")
	}
	// With too little history for a p90, the delay is exactly the multiple.
	s.Observe("new", 1<<20, 50*time.Millisecond)
	e := s.Expect("new", 1<<20)
	if h := s.HedgeAfter("new", 1<<20, 3); h < 3*e || h > 3*e+time.Microsecond {
		t.Errorf("hedge delay %v for a peer with one observation, want 3 × %v", h, e)
	}
}

func TestFetchLearnsToAvoidSlowHolder(t *testing.T) {
	net := newFakeNet()
	cids, holders, _ := stripe(net, 5)
	net.slow["p0"] = true
	f := New(net, net, Config{MinHedge: time.Millisecond})
	if _, err := f.FetchStripe(testCtx(t), cids, holders, 3); err != nil {
		t.Fatal(err)
	}
	net.mu.Lock()
	before := net.calls["p0"]
	net.mu.Unlock()
	if _, err := f.FetchStripe(testCtx(t), cids, holders, 3); err != nil {
		t.Fatal(err)
	}
	net.mu.Lock()
	defer net.mu.Unlock()
	if net.calls["p0"] != before {
		t.Error("the second fetch asked the holder that was slow in the first")
	}
}

func TestStatsForgetStaleEstimates(t *testing.T) {
	s := NewStats()
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	fresh := s.Expect("new", 1<<20)
	for range 5 {
		s.Observe("p", 1<<20, time.Second)
	}
	if s.Expect("p", 1<<20) < 2*fresh {
		t.Fatalf("slow peer expected %v, fresh %v", s.Expect("p", 1<<20), fresh)
	}
	now = now.Add(2 * forgetAfter)
	if got := s.Expect("p", 1<<20); got != fresh {
		t.Errorf("after %v without samples: %v, want the fresh %v", 2*forgetAfter, got, fresh)
	}
}

func TestFetchSpareHidesStuckHolder(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	net.slow["p0"] = true
	f := New(net, net, Config{Spare: 1, MinHedge: time.Hour}) // hedging can never fire
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
	if _, hedges := f.Counts(); hedges != 0 {
		t.Errorf("%d hedges", hedges)
	}
}

// TestFetchAsksExpectedHolderFirst: each shard's holder list is every node of the federation,
// the one placement chose first, as the node passes it. Even when the fallbacks look faster
// in the statistics, the fetcher asks only the expected holders, and a "not here" from a
// fallback does not count against that peer.
func TestFetchAsksExpectedHolderFirst(t *testing.T) {
	net := newFakeNet()
	cids, holders, data := stripe(net, 5)
	all := []peer.ID{"p0", "p1", "p2", "p3", "p4"}
	for i := range holders {
		for _, p := range all {
			if p != holders[i][0] {
				holders[i] = append(holders[i], p)
			}
		}
	}
	f := New(net, net, Config{})
	for _, p := range all[3:] { // p3 and p4 look ten times faster than the others
		f.Stats().Observe(p, 1<<20, time.Millisecond)
	}
	for _, p := range all[:3] {
		f.Stats().Observe(p, 1<<20, 10*time.Millisecond)
	}
	got, err := f.FetchStripe(testCtx(t), cids, holders, 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, data, 3)
	if c := net.callCount(); c != 3 {
		t.Errorf("%d requests for k=3, want 3 (only expected holders)", c)
	}
	if got[3] == nil || got[4] == nil {
		t.Error("the fast expected holders p3 and p4 were not used")
	}
}
