package repair

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/store"
)

// peerID returns a valid, deterministic peer ID for a test node name.
func peerID(t testing.TB, name string) string {
	t.Helper()
	h, err := mh.Sum([]byte(name), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return peer.ID(h).String()
}

// makeNodes returns active nodes named n0, n1, … with the given members.
func makeNodes(t testing.TB, members ...string) []placement.Node {
	t.Helper()
	out := make([]placement.Node, len(members))
	for i, m := range members {
		out[i] = placement.Node{ID: peerID(t, fmt.Sprintf("n%d", i)), Member: m, Region: "TW", Active: true, FreeBytes: 1 << 40}
	}
	return out
}

// fakeNet is an in-memory federation of shard stores with fault knobs.
type fakeNet struct {
	mu      sync.Mutex
	blocks  map[string]map[cid.Cid][]byte // node → blocks
	down    map[string]bool               // unreachable: every call fails
	dieIn   map[string]int                // node → HAS requests it still answers before it goes down
	puts    map[string]int                // node → puts received
	deletes int
	moved   int64                  // bytes got and put
	trace   func(op string, n int) // called on every Get/Put with its size (rate tests)
}

func newFakeNet() *fakeNet {
	return &fakeNet{blocks: map[string]map[cid.Cid][]byte{}, down: map[string]bool{}, dieIn: map[string]int{}, puts: map[string]int{}}
}

func (f *fakeNet) reach(node string) error {
	if f.down[node] {
		return errs.Errorf("fake", errs.Unavailable, "node %s is down", node)
	}
	return nil
}

func (f *fakeNet) Has(ctx context.Context, node string, cids []cid.Cid) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return nil, err
	}
	if n, ok := f.dieIn[node]; ok {
		if n == 0 {
			f.down[node] = true
			return nil, errs.Errorf("fake", errs.Timeout, "node %s timed out", node)
		}
		f.dieIn[node] = n - 1
	}
	out := make([]bool, len(cids))
	for i, c := range cids {
		_, out[i] = f.blocks[node][c]
	}
	return out, nil
}

func (f *fakeNet) Get(ctx context.Context, node string, c cid.Cid) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return nil, err
	}
	b, ok := f.blocks[node][c]
	if !ok {
		return nil, errs.Errorf("fake", errs.NotExist, "no block %s on %s", c, node)
	}
	f.moved += int64(len(b))
	if f.trace != nil {
		f.trace("get", len(b))
	}
	return bytes.Clone(b), nil
}

func (f *fakeNet) Put(ctx context.Context, node string, c cid.Cid, data []byte) error {
	if err := store.Verify(c, data); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return err
	}
	f.set(node, c, bytes.Clone(data))
	f.puts[node]++
	f.moved += int64(len(data))
	if f.trace != nil {
		f.trace("put", len(data))
	}
	return nil
}

func (f *fakeNet) Delete(ctx context.Context, node string, c cid.Cid) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(node); err != nil {
		return err
	}
	delete(f.blocks[node], c)
	f.deletes++
	return nil
}

func (f *fakeNet) set(node string, c cid.Cid, b []byte) {
	if f.blocks[node] == nil {
		f.blocks[node] = map[cid.Cid][]byte{}
	}
	f.blocks[node][c] = b
}

// corrupt flips a byte of c on node (bit rot that HAS cannot see).
func (f *fakeNet) corrupt(node string, c cid.Cid) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks[node][c][0] ^= 0xff
}

func (f *fakeNet) setDown(node string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[node] = down
}

// wipe loses everything a node held.
func (f *fakeNet) wipe(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.blocks, node)
}

// holders returns the nodes holding c.
func (f *fakeNet) holders(c cid.Cid) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, bs := range f.blocks {
		if _, ok := bs[c]; ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeNet) count(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.blocks[node])
}

func (f *fakeNet) snapshot() map[string]map[cid.Cid]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[cid.Cid]string{}
	for n, bs := range f.blocks {
		out[n] = map[cid.Cid]string{}
		for c, b := range bs {
			out[n][c] = string(b)
		}
	}
	return out
}

// fakeCatalog is a fixed membership and object list.
type fakeCatalog struct {
	mu      sync.Mutex
	nodes   []placement.Node
	objects []Object
}

func (c *fakeCatalog) Nodes(ctx context.Context) ([]placement.Node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.nodes), nil
}

func (c *fakeCatalog) Objects(ctx context.Context, fn func(Object) error) error {
	c.mu.Lock()
	objs := slices.Clone(c.objects)
	c.mu.Unlock()
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (c *fakeCatalog) setActive(id string, active bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.nodes {
		if c.nodes[i].ID == id {
			c.nodes[i].Active = active
		}
	}
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// cidOf returns the raw CID of data.
func cidOf(data []byte) cid.Cid {
	d := sha256.Sum256(data)
	return rawCID(d[:])
}
