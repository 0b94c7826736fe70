package consensus

import (
	"encoding/json"
	"io"
	"maps"
	"sync"

	"github.com/meridian-fed/meridian/errs"
)

// kvFSM is a test state machine: a map of registers with put and compare-and-set.
type kvFSM struct {
	mu       sync.RWMutex
	m        map[string]string // guarded by mu
	applied  uint64            // guarded by mu; last index seen by Apply
	restores int               // guarded by mu; how many times Restore ran
}

type kvCmd struct {
	Op  string `json:"op"` // "put" or "cas"
	Key string `json:"k"`
	Val string `json:"v"`
	Old string `json:"old,omitempty"`
}

func newKV() *kvFSM { return &kvFSM{m: map[string]string{}} }

func putCmd(k, v string) []byte {
	b, _ := json.Marshal(kvCmd{Op: "put", Key: k, Val: v})
	return b
}

func casCmd(k, old, v string) []byte {
	b, _ := json.Marshal(kvCmd{Op: "cas", Key: k, Val: v, Old: old})
	return b
}

func (f *kvFSM) Apply(index uint64, b []byte) ([]byte, error) {
	var c kvCmd
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, errs.E("kv.Apply", errs.Invalid, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = index
	switch c.Op {
	case "put":
	case "cas":
		if f.m[c.Key] != c.Old {
			return nil, errs.Errorf("kv.Apply", errs.Conflict, "%s is %q, not %q", c.Key, f.m[c.Key], c.Old)
		}
	default:
		return nil, errs.Errorf("kv.Apply", errs.Invalid, "unknown op %q", c.Op)
	}
	prev := f.m[c.Key]
	f.m[c.Key] = c.Val
	return []byte(prev), nil
}

func (f *kvFSM) get(k string) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m[k]
}

func (f *kvFSM) snapshotMap() map[string]string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.m)
}

func (f *kvFSM) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(f.snapshotMap())
}

func (f *kvFSM) Restore(r io.Reader) error {
	m := map[string]string{}
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m = m
	f.restores++
	return nil
}
