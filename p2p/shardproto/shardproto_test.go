package shardproto

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
	"github.com/meridian-fed/meridian/p2p/wire"
)

type pair struct {
	client *Client
	server *Server
	store  *fakestore.Store
	remote peer.ID
	hosts  []host.Host
}

// newPair links two mocknet hosts: hosts[0] is the client, hosts[1] serves from a fake store.
func newPair(t *testing.T, cfg ServerConfig) *pair {
	t.Helper()
	mn, err := mocknet.FullMeshConnected(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	hs := mn.Hosts()
	if cfg.Store == nil {
		cfg.Store = fakestore.New()
	}
	srv := NewServer(hs[1], cfg)
	t.Cleanup(srv.Close)
	fs, _ := cfg.Store.(*fakestore.Store)
	return &pair{client: NewClient(hs[0], cfg.Limits), server: srv, store: fs, remote: hs[1].ID(), hosts: hs}
}

func shard(seed uint64, n int) ([]byte, cid.Cid) {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b, fakestore.CID(b)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPutGetHasDelete(t *testing.T) {
	allow := false
	p := newPair(t, ServerConfig{AllowDelete: func(context.Context, peer.ID, cid.Cid) bool { return allow }})
	data, c := shard(1, 700_000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	got, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetShard = %d bytes, %v", len(got), err)
	}
	part, err := p.client.GetShard(ctx(t), p.remote, c, 1000, 5000)
	if err != nil || !bytes.Equal(part, data[1000:6000]) {
		t.Fatalf("range GetShard = %d bytes, %v", len(part), err)
	}
	tail, err := p.client.GetShard(ctx(t), p.remote, c, 699_990, 100)
	if err != nil || !bytes.Equal(tail, data[699_990:]) {
		t.Fatalf("tail GetShard = %d bytes, %v", len(tail), err)
	}
	_, missing := shard(2, 10)
	have, err := p.client.HasShards(ctx(t), p.remote, []cid.Cid{missing, c, missing})
	if err != nil || fmt.Sprint(have) != "[false true false]" {
		t.Fatalf("HasShards = %v, %v", have, err)
	}
	if _, err := p.client.GetShard(ctx(t), p.remote, missing, 0, 0); !errs.Is(err, errs.NotExist) {
		t.Errorf("GET of a missing shard: %v", err)
	}
	if err := p.client.DeleteShard(ctx(t), p.remote, c); !errs.Is(err, errs.Permission) {
		t.Errorf("DELETE refused by policy: %v", err)
	}
	allow = true
	if err := p.client.DeleteShard(ctx(t), p.remote, c); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.store.Has(ctx(t), c); ok {
		t.Error("shard still present after DELETE")
	}
}

func TestPutRejectsBadCID(t *testing.T) {
	p := newPair(t, ServerConfig{})
	data, _ := shard(3, 100_000)
	_, other := shard(4, 100_000)
	if err := p.client.PutShard(ctx(t), p.remote, other, data); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("PUT under a wrong CID: %v, want corrupt", err)
	}
	if n := p.store.Puts(); n != 0 {
		t.Fatalf("%d blocks stored after a bad PUT", n)
	}
	// The stream protocol stays usable afterwards.
	good, c := shard(5, 10)
	if err := p.client.PutShard(ctx(t), p.remote, c, good); err != nil {
		t.Fatal(err)
	}
}

func TestPutErrorsMapToKinds(t *testing.T) {
	fs := fakestore.New()
	fs.PutErr = errs.Errorf("disk", errs.NoSpace, "full")
	p := newPair(t, ServerConfig{Store: fs})
	data, c := shard(6, 1000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); !errs.Is(err, errs.NoSpace) {
		t.Errorf("PUT to a full store: %v", err)
	}
	big, bc := shard(7, 2000)
	small := newPair(t, ServerConfig{Limits: Limits{MaxShardSize: 1500}})
	small.client.limits.MaxShardSize = 1 << 20 // a client with a larger cap than the server
	if err := small.client.PutShard(ctx(t), small.remote, bc, big); !errs.Is(err, errs.Invalid) {
		t.Errorf("PUT over the server's cap: %v", err)
	}
	if err := small.client.PutShard(ctx(t), small.remote, cid.NewCidV1(cid.Raw, []byte{0x00, 0x02, 1, 2}), []byte{1}); !errs.Is(err, errs.Invalid) {
		t.Errorf("PUT with an identity-hash CID: %v", err)
	}
}

func TestGetDetectsCorruptPeer(t *testing.T) {
	// A server whose store lies: it serves stored bytes without verifying them.
	fs := fakestore.New()
	p := newPair(t, ServerConfig{Store: lyingStore{fs}})
	data, c := shard(8, 5000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	fs.Corrupt(c)
	if _, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); !errs.Is(err, errs.Corrupt) {
		t.Errorf("GET of corrupt bytes: %v", err)
	}
}

type lyingStore struct{ *fakestore.Store }

func (l lyingStore) Get(ctx context.Context, c cid.Cid) ([]byte, error) {
	return l.Raw(c), nil
}

func TestHasBatchCap(t *testing.T) {
	p := newPair(t, ServerConfig{Limits: Limits{MaxHas: 4}})
	cids := make([]cid.Cid, 5)
	for i := range cids {
		_, cids[i] = shard(uint64(i), 10)
	}
	data, c := shard(4, 10)
	if err := p.store.Put(ctx(t), c, data); err != nil || !c.Equals(cids[4]) {
		t.Fatal(err)
	}
	have, err := p.client.HasShards(ctx(t), p.remote, cids) // two batches: 4 + 1
	if err != nil || fmt.Sprint(have) != "[false false false false true]" {
		t.Errorf("HAS split into batches = %v, %v", have, err)
	}
	p.client.limits.MaxHas = 100
	if _, err := p.client.HasShards(ctx(t), p.remote, cids); !errs.Is(err, errs.Invalid) || !wire.IsRemote(err) {
		t.Errorf("HAS over the server cap: %v", err)
	}
}

// TestConcurrentPuts sends good and bad shards from many goroutines: every good one must be
// stored intact, every bad one rejected, none stored under a wrong CID.
func TestConcurrentPuts(t *testing.T) {
	p := newPair(t, ServerConfig{MaxInflight: 2 << 20, Limits: Limits{MaxShardSize: 1 << 20}})
	const n = 40
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			data, c := shard(uint64(100+i), 200_000+i*1000)
			if i%3 == 0 {
				data[i] ^= 1 // the CID no longer matches
				if err := p.client.PutShard(ctx(t), p.remote, c, data); !errs.Is(err, errs.Corrupt) {
					errc <- fmt.Errorf("bad shard %d: %v", i, err)
				}
				return
			}
			if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
				errc <- fmt.Errorf("good shard %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	stored := 0
	err := p.store.Enumerate(ctx(t), func(c cid.Cid, _ int64) error {
		stored++
		_, err := p.store.Get(ctx(t), c) // verifies
		return err
	})
	if err != nil || stored != n-(n+2)/3 {
		t.Errorf("stored %d intact blocks (err %v), want %d", stored, err, n-(n+2)/3)
	}
}

// verifiedStore records use of the VerifiedPutter fast path.
type verifiedStore struct {
	*fakestore.Store
	fast int
}

func (v *verifiedStore) PutVerified(ctx context.Context, c cid.Cid, data []byte) error {
	v.fast++
	return v.Store.Put(ctx, c, data)
}

func TestPutUsesVerifiedFastPath(t *testing.T) {
	vs := &verifiedStore{Store: fakestore.New()}
	p := newPair(t, ServerConfig{Store: vs})
	data, c := shard(9, 1000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	_, other := shard(10, 1000)
	if err := p.client.PutShard(ctx(t), p.remote, other, data); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("bad PUT: %v", err)
	}
	if vs.fast != 1 {
		t.Errorf("fast path used %d times, want 1 (only for the verified shard)", vs.fast)
	}
}

// stuckStore never answers Stat until its context ends.
type stuckStore struct{ *fakestore.Store }

func (s stuckStore) Stat(ctx context.Context, c cid.Cid) (int64, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestClientDeadline(t *testing.T) {
	p := newPair(t, ServerConfig{Store: stuckStore{fakestore.New()}})
	_, c := shard(11, 10)
	cctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.client.GetShard(cctx, p.remote, c, 0, 0); !errs.Is(err, errs.Timeout) {
		t.Fatalf("GET past the caller's deadline: %v", err)
	}
}
