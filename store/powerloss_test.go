package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
	"github.com/meridian-fed/meridian/store/strictfs"
)

// The tests in this file run the Disk store over strictfs, which forgets at a simulated power
// cut every write, create and rename not yet fsynced. Where the crash test of
// crash_integration_test.go kills the writer (the page cache survives a SIGKILL), these cut the
// power: a Put that returned must have reached "the platter".

const strictDir = "/node/store"

// strictStores remembers which simulated disk each store lives on.
var strictStores = struct {
	sync.Mutex
	mem  map[*store.Disk]*strictfs.Mem
	opts map[*store.Disk]store.DiskOptions
}{mem: make(map[*store.Disk]*strictfs.Mem), opts: make(map[*store.Disk]store.DiskOptions)}

// newStrict returns a fresh simulated disk whose /node directory exists durably, as a node's
// data directory would.
func newStrict(t *testing.T) *strictfs.Mem {
	t.Helper()
	mem := strictfs.New()
	h := mem.FS()
	if err := h.MkdirAll("/node"); err != nil {
		t.Fatal(err)
	}
	if err := h.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	return mem
}

// openStrict opens the store on mem with a fresh handle (a new process).
func openStrict(t *testing.T, mem *strictfs.Mem, opts store.DiskOptions) *store.Disk {
	t.Helper()
	opts.FS = mem.FS()
	d, err := store.OpenDisk(strictDir, opts)
	if err != nil {
		t.Fatalf("OpenDisk over strictfs: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	strictStores.Lock()
	strictStores.mem[d], strictStores.opts[d] = mem, opts
	strictStores.Unlock()
	return d
}

func strictOf(s store.Store) (*strictfs.Mem, store.DiskOptions) {
	strictStores.Lock()
	defer strictStores.Unlock()
	d := s.(*store.Disk)
	return strictStores.mem[d], strictStores.opts[d]
}

// powerCycle cuts the power under s and opens the store again, as a reboot would.
func powerCycle(t *testing.T, s store.Store) *store.Disk {
	t.Helper()
	mem, opts := strictOf(s)
	mem.Crash()
	return openStrict(t, mem, opts)
}

// TestDiskStrictFS runs the conformance suite over strictfs. Its Reopen is a power cut, so the
// suite's Reopen case checks that acknowledged blocks survive power loss.
func TestDiskStrictFS(t *testing.T) {
	storetest.TestHarness(t, storetest.Harness{
		New: func(t *testing.T, capacity int64) store.Store {
			return openStrict(t, newStrict(t), store.DiskOptions{Capacity: capacity})
		},
		Reopen: func(t *testing.T, s store.Store) store.Store { return powerCycle(t, s) },
		Corrupt: func(t *testing.T, s store.Store, c cid.Cid) {
			mem, _ := strictOf(s)
			p := strictBlockPath(t, mem, c)
			b, err := mem.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x10
			if err := mem.Damage(p, b); err != nil {
				t.Fatal(err)
			}
		},
		Interrupt: func(t *testing.T, s store.Store, _ cid.Cid, partial []byte) {
			mem, _ := strictOf(s)
			h := mem.FS()
			f, err := h.Create(path.Join(strictDir, "tmp", "put-interrupted"))
			if err != nil {
				t.Fatal(err)
			}
			// Durable debris: the worst a crash can leave, so that Open must clean it.
			_, err = f.Write(partial)
			if err = errors.Join(err, f.Sync(), f.Close(), h.SyncDir(path.Join(strictDir, "tmp"))); err != nil {
				t.Fatal(err)
			}
		},
		Debris: func(t *testing.T, s store.Store) int {
			mem, _ := strictOf(s)
			ents, err := mem.FS().ReadDir(path.Join(strictDir, "tmp"))
			if err != nil {
				t.Fatal(err)
			}
			return len(ents)
		},
	})
}

// strictBlockPath finds the file of block c without relying on the fan-out rule.
func strictBlockPath(t *testing.T, mem *strictfs.Mem, c cid.Cid) string {
	t.Helper()
	h := mem.FS()
	root := path.Join(strictDir, "blocks")
	shards, err := h.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shards {
		p := path.Join(root, s.Name(), c.String()+".data")
		if _, err := h.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("no file for block %s", c)
	return ""
}

// blockSizes cover the direct path's cases: empty, below, at and above one aligned block, and
// more than one bounce buffer.
var blockSizes = []int{0, 1, 4095, 4096, 4097, 100_000, 1<<20 + 3, 3 << 20}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestPowerLossKeepsAcknowledgedWrites puts and deletes blocks, cuts the power and checks that
// every acknowledged Put is there, intact, and every acknowledged Delete stays done. It fails
// if Put skips the file fsync (the renamed file comes back empty), the fan-out directory's
// fsync (the block vanishes), or OpenDisk the fsync of the new store's parent directory.
func TestPowerLossKeepsAcknowledgedWrites(t *testing.T) {
	mem := newStrict(t)
	s := openStrict(t, mem, store.DiskOptions{})
	want := make(map[cid.Cid][]byte)
	for round := range 3 {
		for i, n := range blockSizes {
			c, b := storetest.Block(t, uint64(100*round+i), n, cid.Raw)
			if err := s.Put(bg(t), c, b); err != nil {
				t.Fatalf("round %d: Put %d bytes: %v", round, n, err)
			}
			want[c] = b
		}
		for c := range want { // delete one block per round
			if err := s.Delete(bg(t), c); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			delete(want, c)
			break
		}
		s = powerCycle(t, s)
		checkExactly(t, s, want)
	}
}

// checkExactly fails unless s holds exactly the blocks of want, intact, and counts them right.
func checkExactly(t *testing.T, s store.Store, want map[cid.Cid][]byte) {
	t.Helper()
	var used int64
	for c, b := range want {
		got, err := s.Get(bg(t), c)
		if err != nil {
			t.Fatalf("acknowledged block %s (%d bytes) lost in the power cut: %v", c, len(b), err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("acknowledged block %s came back different", c)
		}
		used += int64(len(b))
	}
	listed := 0
	err := s.Enumerate(bg(t), func(c cid.Cid, _ int64) error {
		listed++
		if _, ok := want[c]; !ok {
			t.Errorf("block %s is back after an acknowledged Delete", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Usage(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	if listed != len(want) || u.Blocks != int64(len(want)) || u.Used != used {
		t.Fatalf("after the power cut: %d listed, usage %d blocks %d bytes; want %d blocks %d bytes",
			listed, u.Blocks, u.Used, len(want), used)
	}
}

// TestPowerLossAtEveryStep cuts the power at each filesystem call of one Put, then of one
// Delete, in turn. Whatever the cut interrupts, the reopened store holds the blocks
// acknowledged before, holds the new block if its Put returned (and lacks it if its Delete
// returned), lists nothing torn, and has no temporary debris left.
func TestPowerLossAtEveryStep(t *testing.T) {
	for _, n := range []int{4097, 1<<20 + 3} {
		old := make(map[cid.Cid][]byte)
		for i := range 3 {
			c, b := storetest.Block(t, uint64(i), 5000, cid.Raw)
			old[c] = b
		}
		c, b := storetest.Block(t, 99, n, cid.Raw)
		t.Run(fmt.Sprintf("Put%d", n), func(t *testing.T) {
			cutEverywhere(t, old, func(s store.Store) (map[cid.Cid][]byte, error) {
				err := s.Put(bg(t), c, b)
				return withBlock(old, c, b), err
			})
		})
		t.Run(fmt.Sprintf("Delete%d", n), func(t *testing.T) {
			for c := range old {
				cutEverywhere(t, old, func(s store.Store) (map[cid.Cid][]byte, error) {
					err := s.Delete(bg(t), c)
					return withoutBlock(old, c), err
				})
				break
			}
		})
	}
}

// cutEverywhere sets up a store holding before, then for k = 1, 2, ... runs do with the power
// cut at its k-th mutating filesystem call, until do completes without meeting the cut (and
// then once more with the cut after it). do returns what the store must hold if it succeeds.
func cutEverywhere(t *testing.T, before map[cid.Cid][]byte, do func(store.Store) (map[cid.Cid][]byte, error)) {
	t.Helper()
	for k := 1; ; k++ {
		mem := newStrict(t)
		s := openStrict(t, mem, store.DiskOptions{})
		for c, b := range before {
			if err := s.Put(bg(t), c, b); err != nil {
				t.Fatal(err)
			}
		}
		base := mem.Ops()
		mem.CrashAfter(k)
		after, err := do(s)
		struck := mem.Ops()-base >= k
		if struck && err == nil {
			t.Fatalf("cut at call %d: the operation reported success after the power was cut", k)
		}
		s = powerCycle(t, s)
		if err == nil {
			checkExactly(t, s, after)
		} else {
			checkEither(t, s, before, after)
		}
		if !struck {
			if k == 1 {
				t.Fatal("the operation made no filesystem call")
			}
			t.Logf("cut at each of %d filesystem calls", k-1)
			return
		}
	}
}

// checkEither checks the store after an operation the cut interrupted: it holds either the
// state before or the state after, every block it lists is intact, and tmp is empty.
func checkEither(t *testing.T, s *store.Disk, before, after map[cid.Cid][]byte) {
	t.Helper()
	got := make(map[cid.Cid][]byte)
	err := s.Enumerate(bg(t), func(c cid.Cid, _ int64) error {
		b, err := s.Get(bg(t), c)
		if err != nil {
			t.Errorf("after an interrupted operation, listed block %s is unreadable: %v", c, err)
		}
		got[c] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sameBlocks(got, before) && !sameBlocks(got, after) {
		t.Fatalf("after an interrupted operation the store holds %d blocks, neither the %d before nor the %d after", len(got), len(before), len(after))
	}
	mem, _ := strictOf(s)
	if ents, err := mem.FS().ReadDir(path.Join(strictDir, "tmp")); err != nil || len(ents) > 0 {
		t.Fatalf("tmp after reopen: %d entries, %v", len(ents), err)
	}
}

func sameBlocks(a, b map[cid.Cid][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for c, x := range a {
		if y, ok := b[c]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

func withBlock(m map[cid.Cid][]byte, c cid.Cid, b []byte) map[cid.Cid][]byte {
	out := make(map[cid.Cid][]byte, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[c] = b
	return out
}

func withoutBlock(m map[cid.Cid][]byte, c cid.Cid) map[cid.Cid][]byte {
	out := withBlock(m, c, nil)
	delete(out, c)
	return out
}

// TestPowerLossDuringConcurrentPuts cuts the power while four writers are putting blocks:
// every Put that returned before the cut is there after it, and nothing listed is torn.
func TestPowerLossDuringConcurrentPuts(t *testing.T) {
	mem := newStrict(t)
	s := openStrict(t, mem, store.DiskOptions{})
	var (
		mu    sync.Mutex
		acked = make(map[cid.Cid][]byte) // guarded by mu
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				c, b := storetest.Block(t, uint64(1000*w+i), 3000+700*i, cid.Raw)
				if err := s.Put(context.Background(), c, b); err != nil {
					return // the power is gone
				}
				mu.Lock()
				acked[c] = b
				if len(acked) == 40 {
					close(enough)
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(time.Minute):
		t.Fatal("writers did not acknowledge 40 blocks within a minute")
	}
	mem.Crash()
	wg.Wait()
	s = openStrict(t, mem, store.DiskOptions{})
	for c, b := range acked {
		got, err := s.Get(bg(t), c)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("block %s acknowledged before the cut: %v", c, err)
		}
	}
	err := s.Enumerate(bg(t), func(c cid.Cid, _ int64) error {
		if _, err := s.Get(bg(t), c); err != nil {
			t.Errorf("listed block %s is torn: %v", c, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d blocks acknowledged before the cut survived", len(acked))
}
