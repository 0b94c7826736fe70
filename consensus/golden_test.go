package consensus

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestWireGolden pins the bytes of /meridian/propose/1.0.0 messages and the snapshot header:
// nodes of different versions must keep understanding each other. Regenerate with -update
// only for a deliberate format change (and bump wireVersion).
func TestWireGolden(t *testing.T) {
	samples := []struct {
		name string
		b    []byte
	}{
		{"request propose batch", (&request{op: opPropose, timeout: 2 * time.Second, cmds: [][]byte{[]byte(`{"op":"put"}`), []byte("x")}}).marshal()},
		{"request add voter", (&request{op: opAddVoter, timeout: time.Second, peer: "12D3KooWExample", addrs: []string{"/ip4/127.0.0.1/tcp/4001"}}).marshal()},
		{"request read index", (&request{op: opReadIndex, timeout: 500 * time.Millisecond}).marshal()},
		{"request probe index", (&request{op: opProbeIndex, timeout: 500 * time.Millisecond}).marshal()},
		{"response value", (&response{result: result{value: []byte("prev"), index: 77}}).marshal()},
		{"response not leader", (&response{result: result{kind: errs.NotLeader, msg: "not leader"}, leader: "12D3KooWLeader"}).marshal()},
		{"response batch", (&response{results: []result{{value: []byte("a"), index: 5}, {kind: errs.Conflict, rejected: true, msg: "a is 1"}}}).marshal()},
		{"snapshot header", encodeSnapHeader(123456)},
	}
	var b strings.Builder
	for _, s := range samples {
		fmt.Fprintf(&b, "%s: %s\n", s.name, hex.EncodeToString(s.b))
	}
	path := filepath.Join("testdata", "wire-v1.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Fatalf("wire encoding changed:\n got:\n%s\nwant:\n%s", got, want)
	}
}
