package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// directSizes straddle the alignment and the bounce buffer's size.
var directSizes = []int{0, 1, directAlign - 1, directAlign, directAlign + 1, 3*directAlign + 17,
	directChunk - 1, directChunk, directChunk + 1, 2*directChunk + directAlign + 5}

func blockOf(t *testing.T, n int, seed byte, aligned bool) (cid.Cid, []byte) {
	t.Helper()
	var data []byte
	if aligned {
		data = alignedBuf(n + 1)[:n]
	} else {
		data = alignedBuf(n + 1)[1 : n+1] // never aligned in memory
	}
	for i := range data {
		data[i] = byte(i*7) + seed
	}
	h, err := multihash.Sum(data, multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h), data
}

// TestWriteDirectSizes stores blocks of awkward sizes from aligned and unaligned memory, with
// and without O_DIRECT, and checks each file holds exactly the block and reads back whole.
func TestWriteDirectSizes(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		dir := t.TempDir()
		d, err := OpenDisk(dir, DiskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.noDirect.Store(buffered)
		for i, n := range directSizes {
			for _, aligned := range []bool{true, false} {
				c, data := blockOf(t, n, byte(i)+boolByte(aligned), aligned)
				if err := d.Put(context.Background(), c, data); err != nil {
					t.Fatalf("buffered=%v size %d aligned=%v: Put: %v", buffered, n, aligned, err)
				}
				got, err := os.ReadFile(d.path(c))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("buffered=%v size %d aligned=%v: file holds %d bytes (%v), want the %d-byte block", buffered, n, aligned, len(got), err, n)
				}
				if got, err := d.Get(context.Background(), c); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("buffered=%v size %d aligned=%v: Get returns %d bytes (%v), want the %d-byte block", buffered, n, aligned, len(got), err, n)
				}
			}
		}
		if !buffered && directWorks(t, dir) && d.noDirect.Load() {
			t.Fatal("the store fell back to buffered writes on a filesystem that takes O_DIRECT")
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(ents) != 0 {
			t.Fatalf("%d temporary files left behind", len(ents))
		}
	}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// directWorks probes whether dir's filesystem opens files with O_DIRECT.
func directWorks(t *testing.T, dir string) bool {
	f, err := openDirect(filepath.Join(dir, "probe"))
	if err != nil {
		t.Logf("no O_DIRECT here (%v): only the buffered path is exercised", err)
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func TestAlignedBuf(t *testing.T) {
	for _, n := range []int{1, directAlign, directChunk} {
		b := alignedBuf(n)
		if len(b) != n || cap(b) != n || !isAligned(b) {
			t.Fatalf("alignedBuf(%d): len %d cap %d aligned %v", n, len(b), cap(b), isAligned(b))
		}
	}
	if isAligned(alignedBuf(8)[1:]) || isAligned(nil) {
		t.Fatal("isAligned accepts an unaligned or empty slice")
	}
}

// TestOpenUnverifiedReadAt reads stored blocks back through OpenUnverified the ways the shard
// server does (a section copied through a 256 KiB buffer) and at awkward offsets and lengths
// into aligned and unaligned buffers.
func TestOpenUnverifiedReadAt(t *testing.T) {
	ctx := context.Background()
	d, err := OpenDisk(t.TempDir(), DiskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, n := range directSizes {
		c, data := blockOf(t, n, byte(i), false)
		if err := d.Put(ctx, c, data); err != nil {
			t.Fatal(err)
		}
		b, size, err := d.OpenUnverified(ctx, c)
		if err != nil || size != int64(n) {
			t.Fatalf("size %d: OpenUnverified: %d, %v", n, size, err)
		}
		var out bytes.Buffer
		buf := make([]byte, 256<<10)
		if _, err := io.CopyBuffer(&out, io.NewSectionReader(b, 0, size), buf); err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("size %d: section copy gave %d bytes (%v)", n, out.Len(), err)
		}
		for _, off := range []int{0, 1, directAlign - 1, directAlign, n / 2, n - 1, n} {
			for _, l := range []int{1, 17, directAlign, directAlign + 3, 2*directChunk + 1} {
				if off < 0 || off > n {
					continue
				}
				for _, aligned := range []bool{true, false} {
					p := alignedBuf(l + 1)
					if aligned {
						p = p[:l]
					} else {
						p = p[1 : l+1]
					}
					got, err := b.ReadAt(p, int64(off))
					want := min(l, n-off)
					if got != want || !bytes.Equal(p[:got], data[off:off+want]) {
						t.Fatalf("size %d: ReadAt(%d bytes aligned=%v, off %d) = %d, %v; want %d bytes of the block", n, l, aligned, off, got, err, want)
					}
					if (want < l) != (err == io.EOF) {
						t.Fatalf("size %d: ReadAt(%d, off %d) read %d with err %v; want io.EOF exactly when short", n, l, off, got, err)
					}
				}
			}
		}
		b.Close()
	}
}
