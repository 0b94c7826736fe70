package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
)

// benchBlock is the size of one shard of a 4 MiB stripe with k=3.
const benchBlock = 1398102

// blockN returns a distinct block for iteration i; hashing it is not timed (Put hashes again
// to verify, and that is timed).
func blockN(b *testing.B, buf []byte, i int) (cid.Cid, []byte) {
	b.StopTimer()
	defer b.StartTimer()
	binary.LittleEndian.PutUint64(buf, uint64(i))
	return storetest.CID(b, buf, cid.Raw), buf
}

// warmDisk opens a store whose 1024 fan-out directories already exist, as in a store that has
// been in use: the first block into a directory pays for a mkdir and a parent fsync.
func warmDisk(b *testing.B) *store.Disk {
	dir := b.TempDir()
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for _, x := range alphabet {
		for _, y := range alphabet {
			if err := os.MkdirAll(filepath.Join(dir, "blocks", string(x)+string(y)), 0o755); err != nil {
				b.Fatal(err)
			}
		}
	}
	d, err := store.OpenDisk(dir, store.DiskOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

// BenchmarkDiskPut measures Put of new 1.4 MiB blocks: verify, temp file, fsync, rename,
// directory fsync. Compare with BenchmarkRawWriteFsync.
func BenchmarkDiskPut(b *testing.B) {
	d := warmDisk(b)
	_, buf := storetest.Block(b, 1, benchBlock, cid.Raw)
	b.SetBytes(benchBlock)
	i := 0
	for b.Loop() {
		c, data := blockN(b, buf, i)
		i++
		if err := d.Put(context.Background(), c, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawWriteFsync writes and fsyncs files of the same size, with no hashing, rename
// or directory fsync: the floor for BenchmarkDiskPut.
func BenchmarkRawWriteFsync(b *testing.B) {
	dir := b.TempDir()
	_, buf := storetest.Block(b, 1, benchBlock, cid.Raw)
	b.SetBytes(benchBlock)
	i := 0
	for b.Loop() {
		f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
		i++
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

const readSet = 16 // blocks read round-robin (from the page cache)

// BenchmarkDiskGet measures Get (read and sha256 verify) of 1.4 MiB blocks.
func BenchmarkDiskGet(b *testing.B) {
	d, err := store.OpenDisk(b.TempDir(), store.DiskOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	cids := make([]cid.Cid, readSet)
	for i := range cids {
		c, data := storetest.Block(b, uint64(i), benchBlock, cid.Raw)
		if err := d.Put(context.Background(), c, data); err != nil {
			b.Fatal(err)
		}
		cids[i] = c
	}
	b.SetBytes(benchBlock)
	i := 0
	for b.Loop() {
		if _, err := d.Get(context.Background(), cids[i%readSet]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRawRead reads files of the same size with os.ReadFile: the floor for DiskGet.
func BenchmarkRawRead(b *testing.B) {
	dir := b.TempDir()
	_, buf := storetest.Block(b, 1, benchBlock, cid.Raw)
	for i := range readSet {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(benchBlock)
	i := 0
	for b.Loop() {
		if _, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(i%readSet))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
