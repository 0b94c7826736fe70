package p2p

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/meridian-fed/meridian/errs"
)

// KeyFileName is the identity key's file name inside a node's data dir.
const KeyFileName = "identity.key"

// LoadOrCreateIdentity reads the node's ed25519 key from path, creating it (mode 0600,
// written atomically and fsynced) when the file does not exist. A key file readable by
// group or others is refused, as ssh refuses a private key.
func LoadOrCreateIdentity(path string) (crypto.PrivKey, error) {
	const op = "p2p.LoadOrCreateIdentity"
	k, err := loadIdentity(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, _, err = crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	raw, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := writeFileAtomic(path, raw, 0o600); err != nil {
		return nil, errs.Errorf(op, errs.Unavailable, "write node key: %w; check that the data dir is writable", err)
	}
	return k, nil
}

func loadIdentity(path string) (crypto.PrivKey, error) {
	const op = "p2p.LoadOrCreateIdentity"
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, errs.Errorf(op, errs.Permission, "node key %s has mode %v; run chmod 600 on it", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	k, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, errs.Errorf(op, errs.Corrupt, "node key %s is unreadable (%v); restore it from backup", path, err)
	}
	if k.Type() != crypto.Ed25519 {
		return nil, errs.Errorf(op, errs.Invalid, "node key %s is %v, not ed25519", path, k.Type())
	}
	return k, nil
}

// writeFileAtomic writes data to a temporary file, fsyncs it, renames it over path and
// fsyncs the directory, so a crash leaves either no key or a whole one.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
