package node

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/meridian-fed/meridian/errs"
)

// Files in a node's data dir.
const (
	MemberKeyFile = "member.agekey" // the member's age X25519 identity, shared by its nodes
	SwarmKeyFile  = "swarm.key"     // the federation's private network key
	StateFile     = "federation.json"
)

// LoadOrCreateMemberKey returns the member identity stored in dir, creating it when absent.
// The first node of a member creates it; other nodes of the same member get a copy from the
// operator (it never travels through the federation).
func LoadOrCreateMemberKey(dir string) (*age.X25519Identity, error) {
	id, err := LoadMemberKey(dir)
	if err == nil || !errs.Is(err, errs.NotExist) {
		return id, err
	}
	id, err = age.GenerateX25519Identity()
	if err != nil {
		return nil, errs.E("node.memberKey", errs.Internal, err)
	}
	if err := writeFileSync(filepath.Join(dir, MemberKeyFile), []byte(id.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	return id, nil
}

// LoadMemberKey reads the member identity from dir.
func LoadMemberKey(dir string) (*age.X25519Identity, error) {
	const op = "node.LoadMemberKey"
	p := filepath.Join(dir, MemberKeyFile)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, errs.Errorf(op, errs.NotExist, "no member key at %s; copy it from another node of the member or run 'meridian node init'", p)
	}
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(bytes.TrimSpace(b))))
	if err != nil {
		return nil, errs.Errorf(op, errs.Corrupt, "%s is not an age X25519 identity: %v", p, err)
	}
	return id, nil
}

// writeFileSync writes data to path atomically: temp file, fsync, rename, fsync of the dir.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	const op = "node.writeFile"
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return errs.E(op, errs.Unavailable, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return errs.E(op, errs.Unavailable, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return errs.E(op, errs.Unavailable, err)
	}
	if err := f.Close(); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return errs.E(op, errs.Unavailable, fmt.Errorf("fsync %s: %w", dir, err))
	}
	return nil
}
