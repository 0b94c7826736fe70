package shardproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
	"github.com/meridian-fed/meridian/p2p/wire"
)

// TestStreamsAreReused: one request after another to a peer goes over one stream; a DELETE
// never takes a pooled stream; a request that fails leaves no stream in the pool.
func TestStreamsAreReused(t *testing.T) {
	p := newPair(t, ServerConfig{AllowDelete: func(context.Context, peer.ID, cid.Cid) bool { return true }})
	data, c := shard(21, 300_000)
	for range 5 {
		if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
			t.Fatal(err)
		}
		if _, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := p.client.HasShards(ctx(t), p.remote, []cid.Cid{c}); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.client.opened.Load(); n != 1 {
		t.Fatalf("15 sequential requests opened %d streams, want 1", n)
	}
	if err := p.client.DeleteShard(ctx(t), p.remote, c); err != nil {
		t.Fatal(err)
	}
	if n := p.client.opened.Load(); n != 2 {
		t.Fatalf("a DELETE opened %d streams in all, want its own second one", n)
	}
	if _, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); err == nil {
		t.Fatal("GET of a deleted shard succeeded")
	}
	if n := p.client.pool.size(p.remote); n != 0 {
		t.Fatalf("%d streams pooled after a failed request, want 0", n)
	}
}

// TestConcurrentRequestsGetTheirOwnStreams: parallel requests never share a stream, and the
// pool keeps at most poolPerPeer of them afterwards.
func TestConcurrentRequestsGetTheirOwnStreams(t *testing.T) {
	p := newPair(t, ServerConfig{})
	data, c := shard(22, 100_000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 3*poolPerPeer)
	for range 3 * poolPerPeer {
		wg.Go(func() {
			got, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0)
			if err == nil && len(got) != len(data) {
				err = errors.New("short shard")
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := p.client.pool.size(p.remote); n > poolPerPeer {
		t.Fatalf("%d idle streams pooled, want at most %d", n, poolPerPeer)
	}
}

// TestStaleStreamIsRetried: a pooled stream that broke while idle (here: reset under the
// pool) costs a retry on a fresh stream, not a failed request.
func TestStaleStreamIsRetried(t *testing.T) {
	p := newPair(t, ServerConfig{})
	data, c := shard(23, 50_000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	x, ok := p.client.pool.get(p.remote, time.Now())
	if !ok {
		t.Fatal("no stream pooled after a clean PUT")
	}
	_ = x.st.Reset()
	p.client.pool.put(p.remote, x)
	if _, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0); err != nil {
		t.Fatalf("GET over a broken pooled stream: %v, want a retry that succeeds", err)
	}
	if n := p.client.opened.Load(); n != 2 {
		t.Fatalf("%d streams opened, want 2 (the first and the retry's)", n)
	}
}

// TestServerClosesIdleStreamQuietly: a stream left idle past IdleTimeout is closed without an
// error frame, so a client that pooled it reads EOF, never an answer to a request it did not
// send. Over real TCP hosts on 127.0.0.1: mocknet streams ignore deadlines.
func TestServerClosesIdleStreamQuietly(t *testing.T) {
	var hs []host.Host
	for range 2 {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.Transport(tcp.NewTCPTransport),
			libp2p.Security(noise.ID, noise.New), libp2p.Muxer(yamux.ID, yamux.DefaultTransport), libp2p.DisableRelay())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		hs = append(hs, h)
	}
	srv := NewServer(hs[1], ServerConfig{Store: fakestore.New(), IdleTimeout: 50 * time.Millisecond})
	t.Cleanup(srv.Close)
	if err := hs[0].Connect(ctx(t), peer.AddrInfo{ID: hs[1].ID(), Addrs: hs[1].Addrs()}); err != nil {
		t.Fatal(err)
	}
	st, err := hs[0].NewStream(ctx(t), hs[1].ID(), ID)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	// Multistream negotiation is lazy: the first write sends it and starts the server's handler.
	if err := wire.WriteFrame(st, wire.THas, encodeHas(nil)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(st)
	if _, err := wire.Expect(r, wire.THasRes, wire.MaxFrame); err != nil {
		t.Fatalf("HAS: %v", err)
	}
	f, err := wire.ReadFrame(r, wire.MaxFrame)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("idle stream ended with frame %v, err %v; want EOF", f.Type, err)
	}
}

// TestCancelledRequestIsNotPooled: a request whose caller gave up leaves no stream behind.
func TestCancelledRequestIsNotPooled(t *testing.T) {
	p := newPair(t, ServerConfig{Store: stuckStore{fakestore.New()}})
	_, c := shard(24, 10)
	cctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.client.GetShard(cctx, p.remote, c, 0, 0); err == nil {
		t.Fatal("GET from a stuck store succeeded")
	}
	if n := p.client.pool.size(p.remote); n != 0 {
		t.Fatalf("%d streams pooled after a cancelled request", n)
	}
}
