package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

var testPin = "sha256:" + strings.Repeat("ab", 32)

func TestSetNodeAPI(t *testing.T) {
	f := newFixture(t)
	aist := f.peers["aist"]
	cases := []struct {
		actor string
		body  *SetNodeAPI
		kind  errs.Kind
	}{
		{"nchc-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1", TLSPin: testPin}, errs.Permission},
		{"aist-admin", &SetNodeAPI{PeerID: "12D3KooWnope", API: "https://a:1"}, errs.NotExist},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: "ftp://a:1"}, errs.Invalid},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1?x=1"}, errs.Invalid},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: ""}, errs.Invalid},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1", TLSPin: "sha256:abcd"}, errs.Invalid},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1", TLSPin: strings.ToUpper(testPin)}, errs.Invalid},
		{"aist-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1", TLSPin: "md5:" + strings.Repeat("ab", 32)}, errs.Invalid},
	}
	for _, c := range cases {
		if r := f.run(c.actor, c.body); !errs.Is(r.Err, c.kind) {
			t.Errorf("%s %+v: got %v, want %v", c.actor, c.body, r.Err, c.kind)
		}
	}
	f.must("node:"+aist, &SetNodeAPI{PeerID: aist, API: "https://aist.example.org:8480", TLSPin: testPin})
	n, err := f.s.Node(aist)
	if err != nil || n.API != "https://aist.example.org:8480" || n.TLSPin != testPin {
		t.Fatalf("registration not recorded: %+v %v", n, err)
	}
	// The fields survive a snapshot.
	s, err := ReadSnapshot(bytes.NewReader(snapshotBytes(t, f.s)))
	if err != nil {
		t.Fatal(err)
	}
	if n2, _ := s.Node(aist); n2.API != n.API || n2.TLSPin != n.TLSPin || s.Digest() != f.s.Digest() {
		t.Fatalf("snapshot lost the registration: %+v", n2)
	}
	f.must("aist-admin", RemoveNode(aist))
	if r := f.run("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://a:1"}); !errs.Is(r.Err, errs.Conflict) {
		t.Fatalf("gone node updated: %v", r.Err)
	}
}

func TestAddNodeWithAPI(t *testing.T) {
	f := newFixture(t)
	f.must("aist-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("node-aist-2")), Member: "aist", API: "https://b:2", TLSPin: testPin, State: NodeActive}})
	if r := f.run("aist-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("node-aist-3")), Member: "aist", API: "https://b:2", TLSPin: "sha256:zz", State: NodeActive}}); !errs.Is(r.Err, errs.Invalid) {
		t.Fatalf("bad pin accepted: %v", r.Err)
	}
}

// TestSnapshotV1StillRead reads the last version-1 snapshot (nodes without API and pin): it
// restores, and written again it is the version-2 golden of the same state.
func TestSnapshotV1StillRead(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "snapshot-v1.golden"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSnapshot(bytes.NewReader(v1))
	if err != nil {
		t.Fatalf("version 1 no longer read: %v", err)
	}
	v2, err := os.ReadFile(filepath.Join("testdata", "snapshot-v2.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snapshotBytes(t, s), v2) {
		t.Fatal("version 1 read back differs from the same state in version 2")
	}
	future := bytes.Replace(v2, []byte(snapshotMagic+"\x02"), []byte(snapshotMagic+"\x03"), 1)
	if _, err := ReadSnapshot(bytes.NewReader(future)); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("version 3 read: %v", err)
	}
}
