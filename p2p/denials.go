package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a connection or stream is refused, as counted and shown in status.
const (
	ReasonNotMember       = "not_member"       // authenticated peer not registered in the catalog
	ReasonHandshake       = "handshake_failed" // never authenticated: wrong or no federation key, or not libp2p
	ReasonProtocolRefused = "protocol_refused" // a non-member opened a stream other than join
	ReasonJoinTimeout     = "join_timeout"     // a non-member did not join within the deadline
	ReasonBadInvite       = "bad_invite"       // a join presented an invalid or used invite
)

// Denial is one refused attempt.
type Denial struct {
	Time   time.Time
	Peer   peer.ID // empty when the peer never authenticated
	Addr   string  // remote multiaddr
	Reason string
}

// DenialLog counts refusals for Prometheus (by reason only: peer IDs would make unbounded
// label sets) and keeps the most recent ones for status pages.
type DenialLog struct {
	counter *prometheus.CounterVec
	now     func() time.Time

	mu     sync.Mutex
	ring   []Denial       // guarded by mu; the last cap(ring) denials
	next   int            // guarded by mu; where the next denial goes
	total  map[string]int // guarded by mu; counts by reason since start
	gated  map[string]int // guarded by mu; remote addrs refused by the gater, not yet closed
	gatedN int            // guarded by mu; sum of gated
}

// NewDenialLog returns a log keeping the last n denials. reg may be nil.
func NewDenialLog(n int, reg prometheus.Registerer) *DenialLog {
	l := &DenialLog{
		counter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meridian_p2p_denied_total",
			Help: "Connections and streams refused by the federation gate, by reason.",
		}, []string{"reason"}),
		now:   time.Now,
		ring:  make([]Denial, 0, max(n, 1)),
		total: map[string]int{},
		gated: map[string]int{},
	}
	if reg != nil {
		if err := reg.Register(l.counter); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				l.counter = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return l
}

// Add records a denial.
func (l *DenialLog) Add(p peer.ID, addr, reason string) {
	l.counter.WithLabelValues(reason).Inc()
	d := Denial{Time: l.now(), Peer: p, Addr: addr, Reason: reason}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total[reason]++
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, d)
		return
	}
	l.ring[l.next] = d
	l.next = (l.next + 1) % len(l.ring)
}

// Recent returns the kept denials, oldest first.
func (l *DenialLog) Recent() []Denial {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Denial, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	return append(out, l.ring[:l.next]...)
}

// Count returns how many denials of reason were recorded since start.
func (l *DenialLog) Count(reason string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total[reason]
}

// markGated remembers that the gater refused a connection from addr, so the failed upgrade
// that follows is not counted a second time as a handshake failure.
func (l *DenialLog) markGated(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gatedN < 4096 {
		l.gated[addr]++
		l.gatedN++
	}
}

// takeGated reports (and forgets) whether the gater refused a connection from addr.
func (l *DenialLog) takeGated(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gated[addr] == 0 {
		return false
	}
	l.gatedN--
	if l.gated[addr]--; l.gated[addr] == 0 {
		delete(l.gated, addr)
	}
	return true
}
