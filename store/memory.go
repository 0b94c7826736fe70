package store

import (
	"context"
	"math"
	"sync"

	"github.com/ipfs/go-cid"
)

// Memory is a Store in memory, for unit tests, with fault knobs (FailNextPut, FailNextGet,
// Corrupt). It keeps the same contract as Disk, minus durability.
type Memory struct {
	capacity int64 // 0: unlimited

	mu      sync.Mutex
	blocks  map[cid.Cid][]byte // guarded by mu
	used    int64              // guarded by mu
	putErrs []error            // guarded by mu; returned by the next Puts, in order
	getErrs []error            // guarded by mu; returned by the next Gets, in order
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty memory store holding at most capacity bytes of blocks
// (0: unlimited).
func NewMemory(capacity int64) *Memory {
	return &Memory{capacity: capacity, blocks: make(map[cid.Cid][]byte)}
}

// FailNextPut makes the next Put return err without storing anything.
func (m *Memory) FailNextPut(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putErrs = append(m.putErrs, err)
}

// FailNextGet makes the next Get return err.
func (m *Memory) FailNextGet(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.getErrs = append(m.getErrs, err)
}

// Corrupt flips a bit of the stored block c, as a bad disk would, and reports whether c was
// present. A block of zero bytes gains a byte instead.
func (m *Memory) Corrupt(c cid.Cid) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[c]
	if !ok {
		return false
	}
	if len(b) == 0 {
		m.blocks[c] = []byte{0}
		m.used++
		return true
	}
	b[len(b)/2] ^= 0x10
	return true
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, c cid.Cid, data []byte) error {
	const op = "store.Memory.Put"
	if err := checkPut(ctx, op, c, data); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := pop(&m.putErrs); err != nil {
		return err
	}
	old, ok := m.blocks[c]
	if ok && verify(op, c, old) == nil {
		return nil
	}
	if free := m.freeLocked() + int64(len(old)); int64(len(data)) > free {
		return noSpace(op, c, int64(len(data)), free)
	}
	m.blocks[c] = append([]byte(nil), data...)
	m.used += int64(len(data)) - int64(len(old))
	return nil
}

func pop(l *[]error) error {
	if len(*l) == 0 {
		return nil
	}
	err := (*l)[0]
	*l = (*l)[1:]
	return err
}

func (m *Memory) freeLocked() int64 {
	if m.capacity == 0 {
		return math.MaxInt64 - m.used
	}
	return max(m.capacity-m.used, 0)
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, c cid.Cid) ([]byte, error) {
	const op = "store.Memory.Get"
	if err := check(ctx, op, c); err != nil {
		return nil, err
	}
	m.mu.Lock()
	err := pop(&m.getErrs)
	b, ok := m.blocks[c]
	b = append([]byte(nil), b...)
	m.mu.Unlock()
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, notExist(op, c)
	}
	if err := verify(op, c, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Has implements Store.
func (m *Memory) Has(ctx context.Context, c cid.Cid) (bool, error) {
	if err := check(ctx, "store.Memory.Has", c); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.blocks[c]
	return ok, nil
}

// Stat implements Store.
func (m *Memory) Stat(ctx context.Context, c cid.Cid) (int64, error) {
	const op = "store.Memory.Stat"
	if err := check(ctx, op, c); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[c]
	if !ok {
		return 0, notExist(op, c)
	}
	return int64(len(b)), nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, c cid.Cid) error {
	if err := check(ctx, "store.Memory.Delete", c); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= int64(len(m.blocks[c]))
	delete(m.blocks, c)
	return nil
}

// removeCorrupt deletes c if its bytes are (still) damaged.
func (m *Memory) removeCorrupt(ctx context.Context, c cid.Cid) (bool, error) {
	if err := check(ctx, "store.Memory.Scrub", c); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[c]
	if !ok || verify("", c, b) == nil {
		return false, nil
	}
	m.used -= int64(len(b))
	delete(m.blocks, c)
	return true, nil
}

// Enumerate implements Store. It works on a snapshot of the block list, so fn may call the
// store.
func (m *Memory) Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error {
	const op = "store.Memory.Enumerate"
	type entry struct {
		c    cid.Cid
		size int64
	}
	m.mu.Lock()
	list := make([]entry, 0, len(m.blocks))
	for c, b := range m.blocks {
		list = append(list, entry{c, int64(len(b))})
	}
	m.mu.Unlock()
	for _, e := range list {
		if err := ctxErr(ctx, op); err != nil {
			return err
		}
		if err := fn(e.c, e.size); err != nil {
			return err
		}
	}
	return nil
}

// Usage implements Store.
func (m *Memory) Usage(ctx context.Context) (Usage, error) {
	if err := ctxErr(ctx, "store.Memory.Usage"); err != nil {
		return Usage{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{Blocks: int64(len(m.blocks)), Used: m.used, Free: m.freeLocked()}, nil
}
