package node

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
)

// inviteBook keeps the one-time invites this node has issued, in a file of its data dir.
// Issuing an invite needs access to that dir (operator authority, like a control-plane join
// token); only hashes of the secrets are stored, and each is consumed on first use. The file
// is shared between the daemon (which redeems) and the CLI (which issues), so every change
// happens under an flock and is written atomically.
type inviteBook struct {
	path string
	mu   sync.Mutex // serialises this process; the flock serialises processes
}

// inviteEntry is one outstanding invite.
type inviteEntry struct {
	Hash    string `json:"hash"` // hex sha256 of the secret
	Member  string `json:"member"`
	Voter   bool   `json:"voter"`
	Expires int64  `json:"expires"` // unix seconds
}

func openInviteBook(path string) *inviteBook { return &inviteBook{path: path} }

// update loads the entries under the file lock, lets f change them, and writes them back when
// f returns true.
func (b *inviteBook) update(f func(es []inviteEntry) ([]inviteEntry, bool)) error {
	const op = "node.invites"
	b.mu.Lock()
	defer b.mu.Unlock()
	lock, err := os.OpenFile(b.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	var es []inviteEntry
	if data, err := os.ReadFile(b.path); err == nil {
		if err := json.Unmarshal(data, &es); err != nil {
			return errs.Errorf(op, errs.Corrupt, "%s: %v; delete it to drop all outstanding invites", b.path, err)
		}
	} else if !os.IsNotExist(err) {
		return errs.E(op, errs.Unavailable, err)
	}
	es, changed := f(es)
	if !changed {
		return nil
	}
	data, _ := json.Marshal(es) // plain fields: cannot fail
	return writeFileSync(b.path, data, 0o600)
}

// add records a new invite and returns its secret.
func (b *inviteBook) add(member string, voter bool, ttl time.Duration, now time.Time) (string, error) {
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(secret))
	e := inviteEntry{Hash: hex.EncodeToString(h[:]), Member: member, Voter: voter, Expires: now.Add(ttl).Unix()}
	err = b.update(func(es []inviteEntry) ([]inviteEntry, bool) { return append(pruneExpired(es, now), e), true })
	return secret, err
}

// take consumes the invite matching secret, if any and not expired.
func (b *inviteBook) take(secret []byte, now time.Time) (inviteEntry, bool, error) {
	h := sha256.Sum256(secret)
	want := hex.EncodeToString(h[:])
	var found inviteEntry
	ok := false
	err := b.update(func(es []inviteEntry) ([]inviteEntry, bool) {
		es = pruneExpired(es, now)
		for i, e := range es {
			if subtle.ConstantTimeCompare([]byte(e.Hash), []byte(want)) == 1 {
				found, ok = e, true
				return append(es[:i:i], es[i+1:]...), true
			}
		}
		return es, true
	})
	return found, ok, err
}

// restore puts back an invite taken by a join that then failed.
func (b *inviteBook) restore(e inviteEntry) error {
	return b.update(func(es []inviteEntry) ([]inviteEntry, bool) { return append(es, e), true })
}

func (b *inviteBook) open(now time.Time) bool {
	open := false
	_ = b.update(func(es []inviteEntry) ([]inviteEntry, bool) {
		open = len(pruneExpired(es, now)) > 0
		return es, false
	})
	return open
}

func pruneExpired(es []inviteEntry, now time.Time) []inviteEntry {
	out := es[:0]
	for _, e := range es {
		if e.Expires > now.Unix() {
			out = append(out, e)
		}
	}
	return out
}

// forNode adapts the book to p2p.Invites, redeeming through the node.
func (b *inviteBook) forNode(n *Node) p2p.Invites { return nodeInvites{n: n} }

type nodeInvites struct{ n *Node }

func (v nodeInvites) Open() bool { return v.n.invites.open(v.n.now()) }

func (v nodeInvites) Redeem(ctx context.Context, joiner peer.ID, secret, req []byte) ([]byte, error) {
	return v.n.redeem(ctx, joiner, secret, req)
}

// IssueInvite records a one-time invite in the node data dir at dir and returns it encoded,
// ready to hand to the new node's operator. The node must be running (or start later) from
// dir, with its p2p addresses given in addrs.
func IssueInvite(dir string, member string, voter bool, ttl time.Duration) (string, error) {
	if _, err := LoadConfig(dir, nil); err != nil {
		return "", err // not a node's data dir, or a broken config
	}
	psk, err := os.ReadFile(filepath.Join(dir, SwarmKeyFile))
	if err != nil {
		return "", errs.Errorf("node.IssueInvite", errs.NotExist, "no federation key in %s: is it a node's data dir?", dir)
	}
	addrs, err := readAddrsFile(dir)
	if err != nil {
		return "", err
	}
	book := openInviteBook(filepath.Join(dir, "invites.json"))
	secret, err := book.add(member, voter, ttl, time.Now())
	if err != nil {
		return "", err
	}
	return Invite{V: 1, PSK: string(psk), Inviter: addrs, Secret: secret, Member: member, Voter: voter}.Encode()
}
