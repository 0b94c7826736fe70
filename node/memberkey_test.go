package node

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// memberKeyNode is a node of member with identity id over a catalog where m1's recipient is
// that of m1Key.
func memberKeyNode(t *testing.T, member string, id, m1Key *age.X25519Identity) *Node {
	t.Helper()
	f := &answersFixture{t: t, n: &Node{state: catalog.New(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	f.run("admin", &catalog.Bootstrap{
		Federation: catalog.Federation{Name: "t", DefaultPlacement: catalog.Placement{K: 2, M: 1}},
		Member:     catalog.Member{ID: "m1", Name: "M1", Region: "TW", Recipient: m1Key.Recipient().String()},
		Admin:      catalog.User{ID: "admin", Member: "m1", Roles: policy.RoleAdmin},
	})
	f.n.cfg.Member, f.n.cfg.DataDir = member, t.TempDir()
	f.n.memberKey.Store(id)
	return f.n
}

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestJoinDeliversMemberKey: a node joining existing member m1 with an identity of its own
// receives m1's from an inviting node of m1, encrypted to its own, and makes it its member
// key on disk; before that, checkMemberKey (readyz) refuses it. Making memberKeyFor send
// nothing fails it, as the misleading 403s of the field report did.
func TestJoinDeliversMemberKey(t *testing.T) {
	m1Key, joinerKey := newIdentity(t), newIdentity(t)
	inviter := memberKeyNode(t, "m1", m1Key, m1Key)
	joiner := memberKeyNode(t, "m1", joinerKey, m1Key)
	if err := joiner.checkMemberKey(); !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), MemberKeyFile) {
		t.Fatalf("checkMemberKey with a key of its own = %v, want Unavailable naming %s", err, MemberKeyFile)
	}
	wrapped, err := inviter.memberKeyFor("m1", joinerKey.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(wrapped), m1Key.String()) {
		t.Fatal("the member key travels in the clear")
	}
	if err := joiner.adoptMemberKey(wrapped); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if err := joiner.checkMemberKey(); err != nil {
		t.Fatalf("checkMemberKey after the join: %v", err)
	}
	onDisk, err := LoadMemberKey(joiner.cfg.DataDir)
	if err != nil || onDisk.String() != m1Key.String() {
		t.Fatalf("member key on disk = %v, %v; want m1's", onDisk, err)
	}
	// A joiner that already holds m1's key gets nothing.
	if w, err := inviter.memberKeyFor("m1", m1Key.Recipient().String()); err != nil || w != nil {
		t.Fatalf("memberKeyFor a joiner holding the key = %d bytes, %v; want none", len(w), err)
	}
}

// TestJoinRefusedWithoutMemberKey: an inviting node that is not of the joiner's member cannot
// deliver the key and refuses the join with the next step, and a joiner refuses a damaged
// delivery without touching its key file.
func TestJoinRefusedWithoutMemberKey(t *testing.T) {
	m1Key, joinerKey := newIdentity(t), newIdentity(t)
	other := memberKeyNode(t, "m2", newIdentity(t), m1Key)
	_, err := other.memberKeyFor("m1", joinerKey.Recipient().String())
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "copy "+MemberKeyFile) {
		t.Fatalf("memberKeyFor from another member = %v, want Conflict saying to copy %s", err, MemberKeyFile)
	}
	inviter := memberKeyNode(t, "m1", m1Key, m1Key)
	wrapped, err := inviter.memberKeyFor("m1", joinerKey.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	wrapped[len(wrapped)-1] ^= 1
	joiner := memberKeyNode(t, "m1", joinerKey, m1Key)
	if err := joiner.adoptMemberKey(wrapped); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("adopt a damaged key = %v, want Corrupt", err)
	}
	if _, err := os.Stat(filepath.Join(joiner.cfg.DataDir, MemberKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a damaged delivery wrote the key file: %v", err)
	}
	if joiner.memberKey.Load() != joinerKey {
		t.Fatal("a damaged delivery replaced the key")
	}
}
