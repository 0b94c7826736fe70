package shardproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/sync/semaphore"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/wire"
	"github.com/meridian-fed/meridian/store"
)

// DeletePolicy decides whether peer from may delete shard c (repair and GC callers only).
type DeletePolicy func(ctx context.Context, from peer.ID, c cid.Cid) bool

// ServerConfig configures a Server.
type ServerConfig struct {
	Store       store.Store
	AllowDelete DeletePolicy // nil refuses every DELETE
	Limits      Limits
	// MaxInflight bounds the shard bytes held in memory by all requests together; a request
	// waits (and its sender is slowed by stream flow control) until its bytes fit. One peer
	// may hold at most a quarter of it (at least one shard), so a peer that announces bodies
	// and sends them slowly, or not at all, stalls only itself.
	MaxInflight int64
	IdleTimeout time.Duration // how long a stream may wait for its next request
	Logger      *slog.Logger
	// Stored, when set, is called with each shard a PUT stored (durably) and Deleted with
	// each shard a DELETE removed; they must not block (the node queues DHT announcements).
	Stored, Deleted func(cid.Cid)
}

// DefaultMaxInflight is the default memory budget for shard bodies in flight.
const DefaultMaxInflight = 256 << 20

// Server answers the shard protocol from a store.
type Server struct {
	h      host.Host
	cfg    ServerConfig
	budget *semaphore.Weighted
	ctx    context.Context // cancelled by Close

	peerMu     sync.Mutex
	peerBudget map[peer.ID]*semaphore.Weighted // guarded by peerMu; one per peer that sent a body
	cancel     context.CancelFunc

	mu     sync.Mutex
	closed bool           // guarded by mu
	wg     sync.WaitGroup // handlers in flight; Add only under mu while !closed
}

// NewServer registers the shard protocol on h. Close unregisters it.
func NewServer(h host.Host, cfg ServerConfig) *Server {
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.MaxInflight < cfg.Limits.MaxShardSize {
		cfg.MaxInflight = max(DefaultMaxInflight, cfg.Limits.MaxShardSize)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{h: h, cfg: cfg, budget: semaphore.NewWeighted(cfg.MaxInflight)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	h.SetStreamHandler(ID, s.handle)
	return s
}

// Close stops accepting requests, aborts those in flight and waits for their handlers.
func (s *Server) Close() {
	s.h.RemoveStreamHandler(ID)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// enter registers a handler, or reports false once the server is closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) handle(st network.Stream) {
	if !s.enter() {
		_ = st.Reset()
		return
	}
	defer s.wg.Done()
	stop := context.AfterFunc(s.ctx, func() { _ = st.Reset() })
	defer stop()
	defer st.Close()
	r := bufio.NewReaderSize(st, readBuf)
	for {
		_ = st.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
		f, err := wire.ReadFrame(r, wire.MaxFrame)
		if err != nil {
			// The client closed the stream, or left it idle past IdleTimeout (clients keep
			// streams for reuse): end it without an answer nobody asked for.
			if !errors.Is(err, io.EOF) && !isTimeout(err) {
				s.fail(st, err)
			}
			return
		}
		if err := s.serve(st, r, f); err != nil {
			s.fail(st, err)
			return
		}
	}
}

// fail reports err to the peer when the stream still works, then gives up on the stream.
func (s *Server) fail(st network.Stream, err error) {
	s.cfg.Logger.Debug("shard request failed", "peer", st.Conn().RemotePeer(), "err", err)
	if werr := wire.WriteError(st, err); werr != nil {
		_ = st.Reset()
	}
}

// serve handles one request. A returned error is sent to the peer and ends the stream; errors
// after which the stream stays in step are answered inside and return nil.
func (s *Server) serve(st network.Stream, r io.Reader, f wire.Frame) error {
	from := st.Conn().RemotePeer()
	switch f.Type {
	case wire.TPut:
		return s.put(st, r, f.Payload)
	case wire.TGet:
		return s.get(st, f.Payload)
	case wire.THas:
		return s.has(st, f.Payload)
	case wire.TDelete:
		return s.del(st, from, f.Payload)
	}
	return errs.Errorf("shardproto.serve", errs.Invalid, "unknown request type %s", f.Type)
}

// answer sends the outcome of a request that kept the stream in step.
func answer(st network.Stream, t wire.Type, payload []byte, err error) error {
	if err != nil {
		return wire.WriteError(st, err)
	}
	return wire.WriteFrame(st, t, payload)
}

// isTimeout tells whether err is a read or write deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// acquire reserves size bytes of body for a request from p: first p's share, then the
// server's budget. release gives them back.
func (s *Server) acquire(ctx context.Context, p peer.ID, size int64) (release func(), err error) {
	share := s.shareOf(p)
	if err := share.Acquire(ctx, size); err != nil {
		return nil, err
	}
	if err := s.budget.Acquire(ctx, size); err != nil {
		share.Release(size)
		return nil, err
	}
	return func() { s.budget.Release(size); share.Release(size) }, nil
}

// shareOf returns p's budget: a quarter of MaxInflight, at least one shard. Peers are
// federation nodes, so the map stays as small as the federation.
func (s *Server) shareOf(p peer.ID) *semaphore.Weighted {
	s.peerMu.Lock()
	defer s.peerMu.Unlock()
	if s.peerBudget == nil {
		s.peerBudget = make(map[peer.ID]*semaphore.Weighted)
	}
	w, ok := s.peerBudget[p]
	if !ok {
		w = semaphore.NewWeighted(max(s.cfg.MaxInflight/4, s.cfg.Limits.MaxShardSize))
		s.peerBudget[p] = w
	}
	return w
}
