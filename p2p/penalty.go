package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// penaltyTime is how long a peer that presented a bad invite is refused outright, even while
// invites are open: it cannot redial at once to guess again (a new peer ID costs it a new
// handshake each time, which the resource limits bound).
const penaltyTime = time.Minute

// penaltyBox remembers strangers refused for a bad invite.
type penaltyBox struct {
	mu    sync.Mutex
	until map[peer.ID]time.Time // guarded by mu
}

func (b *penaltyBox) add(p peer.ID, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until == nil {
		b.until = map[peer.ID]time.Time{}
	}
	for q, t := range b.until { // keep the box small: drop served penalties
		if now.After(t) {
			delete(b.until, q)
		}
	}
	b.until[p] = now.Add(penaltyTime)
}

func (b *penaltyBox) has(p peer.ID, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.until[p]
	return ok && now.Before(t)
}
