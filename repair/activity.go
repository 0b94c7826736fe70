package repair

import (
	"sync"
	"time"
)

// Activity is a running account of a Repairer's rebuilds since New, for measuring repair
// throughput from outside (the scorecard, benchmarks): bytes over the time from Began to Stored.
type Activity struct {
	RebuiltBytes int64     // shard bytes reconstructed and stored on their new holders
	Rebuilding   int       // stripe rebuilds under way now (fetching, decoding or storing)
	Began        time.Time // when the current or last run of rebuilds began: a rebuild started while none was under way
	Stored       time.Time // when the last rebuilt shard was stored (acknowledged by its new holder)
}

// activity is the Repairer's Activity, updated by the rebuilds.
type activity struct {
	mu sync.Mutex
	a  Activity // guarded by mu
}

// begin counts a rebuild as under way; the returned func ends it.
func (t *activity) begin(now time.Time) func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.a.Rebuilding == 0 {
		t.a.Began = now
	}
	t.a.Rebuilding++
	return func() {
		t.mu.Lock()
		t.a.Rebuilding--
		t.mu.Unlock()
	}
}

// stored counts n rebuilt bytes acknowledged by their new holder at now.
func (t *activity) stored(n int, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.a.RebuiltBytes += int64(n)
	t.a.Stored = now
}

// Activity returns what this Repairer has rebuilt so far and whether it is rebuilding now.
func (r *Repairer) Activity() Activity {
	r.act.mu.Lock()
	defer r.act.mu.Unlock()
	return r.act.a
}
