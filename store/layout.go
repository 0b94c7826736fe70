package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
)

// Names inside a Disk directory.
const (
	blocksDir = "blocks"
	tmpDir    = "tmp"
	lockFile  = "LOCK"
	blockExt  = ".data"
)

// key is the file name stem of a block: its CIDv1 in base32 lower.
func key(c cid.Cid) string {
	s, err := c.StringOfBase(multibase.Base32)
	if err != nil {
		return c.String() // CIDv0 cannot reach here: check() refuses it
	}
	return s
}

// shardName is flatfs's "next-to-last/2": the last character of a base32 CID carries only a few
// bits, the two before it are uniform.
func shardName(k string) string {
	return k[len(k)-3 : len(k)-1]
}

func (d *Disk) shardDir(c cid.Cid) string {
	return filepath.Join(d.dir, blocksDir, shardName(key(c)))
}

func (d *Disk) path(c cid.Cid) string {
	k := key(c)
	return filepath.Join(d.dir, blocksDir, shardName(k), k+blockExt)
}

func (d *Disk) stripe(c cid.Cid) *sync.Mutex {
	h := c.Hash()
	return &d.stripes[h[len(h)-1]]
}

// prepare creates the directory tree and makes it durable, including fan-out directories a
// crash may have left unsynced. Fan-out directories are made on first use (ensureShard):
// making all 1024 up front costs over a second on some filesystems.
func (d *Disk) prepare() error {
	_, err := d.fs.Stat(d.dir)
	created := errors.Is(err, fs.ErrNotExist)
	for _, p := range []string{d.dir, filepath.Join(d.dir, tmpDir), filepath.Join(d.dir, blocksDir)} {
		if err := d.fs.MkdirAll(p); err != nil {
			return err
		}
	}
	sync := []string{filepath.Join(d.dir, blocksDir), d.dir}
	if created {
		sync = append(sync, filepath.Dir(d.dir)) // else a power cut may take the new store away
	}
	for _, p := range sync {
		if err := d.fs.SyncDir(p); err != nil {
			return err
		}
	}
	return nil
}

// ensureShard makes sure the fan-out directory of c exists durably before a block is renamed
// into it. Creation and the parent's fsync happen under shardMu, so a concurrent Put into the
// same new directory cannot acknowledge its block before the directory itself is durable.
func (d *Disk) ensureShard(c cid.Cid) error {
	name := shardName(key(c))
	d.shardMu.Lock()
	defer d.shardMu.Unlock()
	if d.shards[name] {
		return nil
	}
	err := d.fs.Mkdir(filepath.Join(d.dir, blocksDir, name))
	if err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if err == nil {
		if err := d.fs.SyncDir(filepath.Join(d.dir, blocksDir)); err != nil {
			return err
		}
	}
	d.shards[name] = true
	return nil
}

// cleanTmp removes temporary files left by writes a crash interrupted. They were never
// renamed into blocks/, so no reader ever saw them.
func (d *Disk) cleanTmp() error {
	dir := filepath.Join(d.dir, tmpDir)
	ents, err := d.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := d.fs.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	if len(ents) > 0 {
		return d.fs.SyncDir(dir)
	}
	return nil
}

// write stores data as the block file path: temp file, fsync, rename, fsync directory.
// The data goes through O_DIRECT where the filesystem takes it (direct.go); if a direct write
// is refused as unsupported, the store switches to buffered writes and writes the block again.
func (d *Disk) write(c cid.Cid, path string, data []byte) (err error) {
	var f File
	var direct bool
	err = d.healing(func() (err error) {
		f, direct, err = d.createTemp()
		return err
	})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			d.fs.Remove(f.Name())
		}
	}()
	if direct {
		err = writeDirect(f, data)
		if err != nil && isNoDirect(err) {
			d.noDirect.Store(true)
			f.Close()
			d.fs.Remove(f.Name())
			return d.write(c, path, data)
		}
	} else {
		_, err = f.Write(data)
	}
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	err = d.healing(func() error {
		if err := d.ensureShard(c); err != nil {
			return err
		}
		return d.fs.Rename(f.Name(), path)
	})
	if err != nil {
		return err
	}
	return d.fs.SyncDir(d.shardDir(c))
}

// walk calls fn for every block file, one fan-out directory at a time. Files that are not
// named like blocks are skipped.
func (d *Disk) walk(ctx context.Context, fn func(c cid.Cid, size int64) error) error {
	root := filepath.Join(d.dir, blocksDir)
	shards, err := d.fs.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the directory vanished while running: no blocks; the next Put heals it
	}
	if err != nil {
		return err
	}
	for _, s := range shards {
		if !s.IsDir() {
			continue
		}
		d.shardMu.Lock()
		d.shards[s.Name()] = true
		d.shardMu.Unlock()
		if err := d.walkShard(ctx, filepath.Join(root, s.Name()), fn); err != nil {
			return err
		}
	}
	return nil
}

func (d *Disk) walkShard(ctx context.Context, dir string, fn func(c cid.Cid, size int64) error) error {
	ents, err := d.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := ctxErr(ctx, "store.Disk.Enumerate"); err != nil {
			return err
		}
		c, ok := parseName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return err
		}
		if err := fn(c, fi.Size()); err != nil {
			return err
		}
	}
	return nil
}

// parseName turns "<cid>.data" back into the CID, accepting only the names key() makes.
func parseName(name string) (cid.Cid, bool) {
	stem, ok := strings.CutSuffix(name, blockExt)
	if !ok {
		return cid.Undef, false
	}
	c, err := cid.Decode(stem)
	if err != nil || c.Version() != 1 || key(c) != stem {
		return cid.Undef, false
	}
	return c, true
}
