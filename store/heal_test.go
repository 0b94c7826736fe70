package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// TestDiskHealsVanishedLayout removes the directories of a running store, as an operator's
// cleanup did in the field: a Put into a fan-out directory the store had made before must
// recreate it, and the block must read back.
func TestDiskHealsVanishedLayout(t *testing.T) {
	for _, remove := range []string{blocksDir, tmpDir, ""} {
		t.Run("remove "+remove, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "store")
			d, err := OpenDisk(dir, DiskOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			c, data := blockOf(t, 5000, 1, true)
			if err := d.Put(ctx, c, data); err != nil {
				t.Fatal(err)
			}
			if remove == blocksDir { // only the fan-out directories, as in the field report
				ents, _ := os.ReadDir(filepath.Join(dir, blocksDir))
				for _, e := range ents {
					os.RemoveAll(filepath.Join(dir, blocksDir, e.Name()))
				}
			} else {
				os.RemoveAll(filepath.Join(dir, remove))
			}
			c2, data2 := blockOf(t, 3000, 2, false) // a block the store never had
			for _, b := range []struct {
				c    cid.Cid
				data []byte
			}{{c, data}, {c2, data2}} {
				if err := d.Put(ctx, b.c, b.data); err != nil {
					t.Fatalf("Put after the layout vanished: %v", err)
				}
				got, err := d.Get(ctx, b.c)
				if err != nil || string(got) != string(b.data) {
					t.Fatalf("Get after heal: %v", err)
				}
			}
			if d.Relayouts() == 0 {
				t.Fatalf("Relayouts = 0, want the heal counted")
			}
			if err := d.Health(); err != nil {
				t.Fatalf("Health after heal: %v", err)
			}
			n, want := 0, 2
			if err := d.Enumerate(ctx, func(cid.Cid, int64) error { n++; return nil }); err != nil || n != want {
				t.Fatalf("Enumerate after heal: %d blocks, %v", n, err)
			}
		})
	}
}

// readOnlyFS fails every file creation with EROFS once ro is set, as a filesystem remounted
// read-only after an I/O error does.
type readOnlyFS struct {
	OSFS
	ro *atomic.Bool
}

func (f readOnlyFS) Create(name string) (File, error) {
	if f.ro.Load() {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EROFS}
	}
	return f.OSFS.Create(name)
}

func (f readOnlyFS) CreateDirect(name string) (File, error) {
	if f.ro.Load() {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EROFS}
	}
	return f.OSFS.CreateDirect(name)
}

// TestDiskHealthReports checks that a vanished or read-only store directory is reported, with
// what to do, and that a healthy one is not.
func TestDiskHealthReports(t *testing.T) {
	ro := new(atomic.Bool)
	dir := filepath.Join(t.TempDir(), "store")
	d, err := OpenDisk(dir, DiskOptions{FS: readOnlyFS{ro: ro}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Health(); err != nil {
		t.Fatalf("Health of a fresh store: %v", err)
	}
	ro.Store(true)
	err = d.Health()
	if !errs.Is(err, errs.Unavailable) || !contains(err, "read-only") {
		t.Fatalf("Health on a read-only filesystem = %v, want Unavailable naming read-only", err)
	}
	ro.Store(false)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = d.Health()
	if !errs.Is(err, errs.Unavailable) || !contains(err, "vanished") {
		t.Fatalf("Health of a removed store = %v, want Unavailable naming the vanished directory", err)
	}
	c, data := blockOf(t, 100, 2, false)
	if err := d.Put(context.Background(), c, data); err != nil {
		t.Fatalf("Put into a removed store: %v", err)
	}
	if err := d.Health(); err != nil {
		t.Fatalf("Health after the Put recreated the store: %v", err)
	}
}

func contains(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}
