package catalog

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// richFixture builds a state that uses every table and most command kinds.
func richFixture(t testing.TB) *fixture {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	f.catalog("open", "aist", "public")
	f.must("nchc-admin", &SetGrants{Catalog: "landsat", Grants: []policy.Grant{{Action: policy.Publish, User: "esa-pub"}}})
	f.must("nchc-admin", &SetPlacement{Catalog: "landsat", Placement: Placement{K: 2, M: 1, AllowedRegions: []string{"JP", "TW"}, ExcludedMembers: []string{"esa"}, Jurisdiction: true}})
	f.publish("nchc-pub", "landsat", "LC05_B4.TIF", map[string]any{"bbox": "120,22,122,25", "datetime": "2020-05-01T00:00:00Z"}, "aist", "esa", "nchc")
	f.publish("esa-pub", "landsat", "S2_B8.TIF", map[string]any{"orbit": int64(7)}, "aist", "esa", "nchc")
	f.publish("aist-pub", "open", "readme.txt", nil, "aist", "esa", "nchc")
	f.must("esa-read", &Subscribe{Catalog: "open"})
	f.must("aist-admin", DrainNode(f.peers["aist"]))
	f.must("nchc-pub", &AddToken{User: "nchc-pub", Token: token("second")})
	f.must("nchc-admin", &RevokeToken{User: "nchc-pub", Token: token("nchc-pub")})
	f.run("esa-read", &Subscribe{Catalog: "landsat"}) // rejected: esa may not read it
	return f
}

func snapshotBytes(t testing.TB, s *State) []byte {
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s changed (%d bytes, want %d); if the format change is intended, bump the version and run go test -update", name, len(got), len(want))
	}
}

func TestGoldenFormats(t *testing.T) {
	f := richFixture(t)
	golden(t, "commands-v1.golden", append(bytes.Join(f.log, []byte("\n")), '\n'))
	golden(t, "snapshot-v2.golden", snapshotBytes(t, f.s))
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := richFixture(t)
	b := snapshotBytes(t, f.s)
	s, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Digest() != f.s.Digest() || !bytes.Equal(snapshotBytes(t, s), b) {
		t.Fatal("restored state differs")
	}
	if s.Applied() != f.s.Applied() || len(s.Users("")) != 9 || len(s.Catalogs()) != 2 || s.Len() != 3 {
		t.Fatal("restored tables differ")
	}
	if sub, err := s.Authenticate(token("second")); err != nil || sub.User != "nchc-pub" {
		t.Fatalf("token index not rebuilt: %v", err)
	}
	if !s.IsRegisteredPeer(f.peers["aist"]) {
		t.Fatal("node table not rebuilt")
	}
	// The restored state goes on applying like the original.
	g := &fixture{t: t, s: s, index: f.index, time: f.time}
	f.catalog("later", "esa", "federation")
	g.catalog("later", "esa", "federation")
	if s.Digest() != f.s.Digest() {
		t.Fatal("restored state diverged after one more command")
	}
	// Restore in place.
	r := New()
	if err := r.Restore(bytes.NewReader(snapshotBytes(t, s))); err != nil || r.Digest() != s.Digest() {
		t.Fatalf("Restore: %v", err)
	}
}

func TestSnapshotCorruption(t *testing.T) {
	b := snapshotBytes(t, richFixture(t).s)
	for _, i := range []int{0, 30, len(b) / 2, len(b) - 40, len(b) - 1} {
		bad := bytes.Clone(b)
		bad[i] ^= 0x40
		if _, err := ReadSnapshot(bytes.NewReader(bad)); !errs.Is(err, errs.Corrupt) {
			t.Errorf("flipped byte %d: %v, want corrupt", i, err)
		}
	}
	for _, n := range []int{0, 10, len(b) - 1} {
		if _, err := ReadSnapshot(bytes.NewReader(b[:n])); !errs.Is(err, errs.Corrupt) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	if _, err := ReadSnapshot(bytes.NewReader(append(bytes.Clone(b), 0))); !errs.Is(err, errs.Corrupt) {
		t.Errorf("trailing byte accepted: %v", err)
	}
	s := richFixture(t).s
	before := s.Digest()
	if err := s.Restore(bytes.NewReader(b[:100])); err == nil || s.Digest() != before {
		t.Fatal("a failed Restore changed the state")
	}
}

// TestReplicasAgree feeds the same log, rejected commands included, to fresh states, whole and
// through a snapshot taken midway, and compares digests.
func TestReplicasAgree(t *testing.T) {
	f := richFixture(t)
	replay := func(s *State, from int) {
		for i := from; i < len(f.log); i++ {
			s.Apply(uint64(i+1), f.log[i])
		}
	}
	a := New()
	replay(a, 0)
	if a.Digest() != f.s.Digest() {
		t.Fatal("replica fed the same log has another digest")
	}
	mid := New()
	half := len(f.log) / 2
	for i := range half {
		mid.Apply(uint64(i+1), f.log[i])
	}
	b, err := ReadSnapshot(bytes.NewReader(snapshotBytes(t, mid)))
	if err != nil {
		t.Fatal(err)
	}
	replay(b, half)
	if b.Digest() != f.s.Digest() {
		t.Fatal("replica restored midway then replayed has another digest")
	}
	// A different log gives a different digest.
	c := New()
	replay(c, 0)
	c.Apply(uint64(len(f.log)+1), f.encode("nchc-admin", &AddMember{Member: member("jaxa")}))
	if c.Digest() == f.s.Digest() {
		t.Fatal("different states share a digest")
	}
}
