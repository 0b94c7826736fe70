package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// memberTag protects members' connections from the connection manager.
const memberTag = "meridian-member"

// watcher reacts to new connections: members are protected from trimming; a non-member
// (admitted only because an invite is open) must become a member within the join deadline
// or it is disconnected.
type watcher struct {
	net      network.Network
	cm       connmgr.ConnManager
	members  Membership
	log      *DenialLog
	deadline time.Duration

	mu     sync.Mutex
	timers map[peer.ID]*time.Timer // guarded by mu; pending join deadlines
	closed bool                    // guarded by mu
}

func (w *watcher) notifiee() network.Notifiee {
	return &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) { w.connected(c) }}
}

func (w *watcher) connected(c network.Conn) {
	p := c.RemotePeer()
	if w.members.IsMember(p) {
		w.cm.Protect(p, memberTag)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.timers[p] != nil {
		return
	}
	addr := c.RemoteMultiaddr().String()
	w.timers[p] = time.AfterFunc(w.deadline, func() { w.expire(p, addr) })
}

func (w *watcher) expire(p peer.ID, addr string) {
	w.mu.Lock()
	delete(w.timers, p)
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return
	}
	if w.members.IsMember(p) {
		w.cm.Protect(p, memberTag)
		return
	}
	if w.net.Connectedness(p) == network.Connected {
		w.log.Add(p, addr, ReasonJoinTimeout)
		_ = w.net.ClosePeer(p)
	}
}

// enforce re-checks every connected peer after the membership changed: members are
// protected, peers that left the federation are unprotected and disconnected, and a
// non-member inside its join window is left alone.
func (w *watcher) enforce() {
	for _, p := range w.net.Peers() {
		if w.members.IsMember(p) {
			w.cm.Protect(p, memberTag)
			continue
		}
		w.cm.Unprotect(p, memberTag)
		w.mu.Lock()
		joining := w.timers[p] != nil
		w.mu.Unlock()
		if !joining {
			w.log.Add(p, "", ReasonNotMember)
			_ = w.net.ClosePeer(p)
		}
	}
}

func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for p, t := range w.timers {
		t.Stop()
		delete(w.timers, p)
	}
}
