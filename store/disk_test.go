package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
)

// openDisk opens a Disk in dir and closes it when the test ends.
func openDisk(t *testing.T, dir string, opts store.DiskOptions) *store.Disk {
	t.Helper()
	d, err := store.OpenDisk(dir, opts)
	if err != nil {
		t.Fatalf("OpenDisk: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// diskOpts remembers each store's options so Reopen can use them again.
var diskOpts = make(map[string]store.DiskOptions)

func TestDisk(t *testing.T) {
	storetest.TestHarness(t, storetest.Harness{
		New: func(t *testing.T, capacity int64) store.Store {
			dir := t.TempDir()
			diskOpts[dir] = store.DiskOptions{Capacity: capacity}
			return openDisk(t, dir, diskOpts[dir])
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			d := s.(*store.Disk)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			return openDisk(t, d.Dir(), diskOpts[d.Dir()])
		},
		Corrupt:   corruptFile,
		Interrupt: interruptPut,
		Debris: func(t *testing.T, s store.Store) int {
			ents, err := os.ReadDir(filepath.Join(s.(*store.Disk).Dir(), "tmp"))
			if err != nil {
				t.Fatal(err)
			}
			return len(ents)
		},
	})
}

// blockPath finds the file of block c by its name, without relying on the fan-out rule.
func blockPath(t *testing.T, d *store.Disk, c cid.Cid) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(d.Dir(), "blocks", "*", c.String()+".data"))
	if len(m) != 1 {
		t.Fatalf("block %s: found files %v", c, m)
	}
	return m[0]
}

func corruptFile(t *testing.T, s store.Store, c cid.Cid) {
	p := blockPath(t, s.(*store.Disk), c)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	one := make([]byte, 1)
	if _, err := f.ReadAt(one, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	one[0] ^= 0x10
	if _, err := f.WriteAt(one, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// interruptPut leaves what a crash between write and rename leaves: a partial temp file.
func interruptPut(t *testing.T, s store.Store, _ cid.Cid, partial []byte) {
	f, err := os.CreateTemp(filepath.Join(s.(*store.Disk).Dir(), "tmp"), "put-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(partial); err != nil {
		t.Fatal(err)
	}
}

func TestDiskLayout(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, store.DiskOptions{})
	c, b := storetest.Block(t, 1, 100, cid.Raw)
	if err := d.Put(context.Background(), c, b); err != nil {
		t.Fatal(err)
	}
	k := c.String()
	want := filepath.Join(dir, "blocks", k[len(k)-3:len(k)-1], k+".data")
	if got := blockPath(t, d, c); got != want {
		t.Fatalf("block stored at %s, want %s (flatfs next-to-last/2)", got, want)
	}
}

func TestDiskIgnoresStrangers(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, store.DiskOptions{})
	c, b := storetest.Block(t, 1, 100, cid.Raw)
	if err := d.Put(context.Background(), c, b); err != nil {
		t.Fatal(err)
	}
	shard := filepath.Dir(blockPath(t, d, c))
	for _, name := range []string{"README", "notacid.data", strings.ToUpper(c.String()) + ".data"} {
		if err := os.WriteFile(filepath.Join(shard, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	d = openDisk(t, dir, store.DiskOptions{})
	u, err := d.Usage(context.Background())
	if err != nil || u.Blocks != 1 || u.Used != 100 {
		t.Fatalf("Usage = %+v, %v; want only the one block counted", u, err)
	}
}

func TestDiskExclusive(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, store.DiskOptions{})
	if _, err := store.OpenDisk(dir, store.DiskOptions{}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("second OpenDisk of a directory in use: err = %v, want Unavailable", err)
	}
	d.Close()
	if _, err := d.Has(context.Background(), storetest.CID(t, nil, cid.Raw)); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Has after Close: err = %v, want Unavailable", err)
	}
	openDisk(t, dir, store.DiskOptions{}) // the lock went with Close
}

func TestDiskFilesystemFree(t *testing.T) {
	d := openDisk(t, t.TempDir(), store.DiskOptions{})
	u, err := d.Usage(context.Background())
	if err != nil || u.Free <= 0 {
		t.Fatalf("Usage = %+v, %v; want the filesystem's free space", u, err)
	}
	// A reserve larger than the free space leaves nothing for blocks.
	full := openDisk(t, t.TempDir(), store.DiskOptions{Reserve: u.Free + 1<<40})
	c, b := storetest.Block(t, 1, 10, cid.Raw)
	if err := full.Put(context.Background(), c, b); !errs.Is(err, errs.NoSpace) {
		t.Fatalf("Put into a store whose reserve exceeds the free space: err = %v, want NoSpace", err)
	}
}
