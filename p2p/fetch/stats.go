package fetch

import (
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Model constants for peers not measured yet: optimistic enough that new peers get tried.
const (
	defaultLatency    = 5 * time.Millisecond
	defaultThroughput = 50e6 // bytes/s
	smallTransfer     = 64 << 10
	alpha             = 0.3         // EWMA weight of a new sample
	ratioWindow       = 32          // samples kept for the p90 of observed/expected
	forgetAfter       = time.Minute // estimates older than this are dropped: peers recover
	maxHedgeFactor    = 10          // never wait more than this multiple of the expected time
)

// Stats keeps, per peer, an EWMA of request latency and of throughput, and how much slower
// than predicted its recent transfers were (for hedging). It is safe for concurrent use.
type Stats struct {
	now   func() time.Time
	mu    sync.Mutex
	peers map[peer.ID]*peerStats // guarded by mu
}

type peerStats struct {
	latency    float64   // seconds; from small transfers
	throughput float64   // bytes/s; from large transfers, latency subtracted
	ratios     []float64 // observed/expected duration of recent transfers
	next       int       // where the next ratio goes once ratios is full
	fails      int       // consecutive failures
	updated    time.Time // last sample
}

// NewStats returns empty statistics.
func NewStats() *Stats { return &Stats{now: time.Now, peers: map[peer.ID]*peerStats{}} }

// getLocked returns p's estimates, starting afresh when there are none or they are stale: a
// peer avoided after a bad spell gets tried again once its record is a minute old.
func (s *Stats) getLocked(p peer.ID) *peerStats {
	ps := s.peers[p]
	if ps == nil || s.now().Sub(ps.updated) > forgetAfter {
		ps = &peerStats{latency: defaultLatency.Seconds(), throughput: defaultThroughput, updated: s.now()}
		s.peers[p] = ps
	}
	return ps
}

func ewma(old, sample float64) float64 { return (1-alpha)*old + alpha*sample }

// Observe records a successful transfer of n bytes from p that took d.
func (s *Stats) Observe(p peer.ID, n int64, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.getLocked(p)
	ps.addRatio(d.Seconds() / ps.expect(n))
	ps.fails = 0
	ps.updated = s.now()
	if n < smallTransfer {
		ps.latency = ewma(ps.latency, d.Seconds())
		return
	}
	t := max(d.Seconds()-ps.latency, d.Seconds()/2)
	ps.throughput = ewma(ps.throughput, float64(n)/t)
}

// ObserveAtLeast records a transfer of n bytes from p abandoned after d: it would have taken
// at least d, so the peer's throughput estimate drops to at most what d implies.
func (s *Stats) ObserveAtLeast(p peer.ID, n int64, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.getLocked(p)
	ps.addRatio(d.Seconds() / ps.expect(n))
	t := max(d.Seconds()-ps.latency, d.Seconds()/2)
	ps.throughput = min(ps.throughput, float64(n)/t)
	ps.updated = s.now()
}

func (ps *peerStats) addRatio(r float64) {
	if len(ps.ratios) < ratioWindow {
		ps.ratios = append(ps.ratios, r)
		return
	}
	ps.ratios[ps.next] = r
	ps.next = (ps.next + 1) % ratioWindow
}

// Fail records a failed request to p; each consecutive failure doubles its expected time.
func (s *Stats) Fail(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.getLocked(p)
	ps.fails++
	ps.updated = s.now()
}

func (ps *peerStats) expect(n int64) float64 {
	return ps.latency + float64(n)/ps.throughput
}

// Expect predicts how long fetching n bytes from p takes, penalising recent failures.
func (s *Stats) Expect(p peer.ID, n int64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.getLocked(p)
	return time.Duration(ps.expect(n) * float64(int(1)<<min(ps.fails, 10)) * float64(time.Second))
}

// HedgeAfter is how long to wait for n bytes from p before asking someone else: the p90 of
// the peer's observed/expected ratio times the expected time, at least mult times the
// expected time.
func (s *Stats) HedgeAfter(p peer.ID, n int64, mult float64) time.Duration {
	s.mu.Lock()
	ps := s.getLocked(p)
	exp := ps.expect(n)
	r := slices.Clone(ps.ratios)
	s.mu.Unlock()
	f := mult
	if len(r) >= 5 {
		slices.Sort(r)
		f = min(max(f, r[len(r)*9/10]), maxHedgeFactor)
	}
	return time.Duration(exp * f * float64(time.Second))
}

// Snapshot is one peer's current estimates.
type Snapshot struct {
	Latency    time.Duration
	Throughput float64 // bytes/s
	Fails      int
}

// Peer returns p's current estimates.
func (s *Stats) Peer(p peer.ID) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.getLocked(p)
	return Snapshot{Latency: time.Duration(ps.latency * float64(time.Second)), Throughput: ps.throughput, Fails: ps.fails}
}
