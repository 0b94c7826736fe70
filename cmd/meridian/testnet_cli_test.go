package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/testnet"
)

// fakeTestnet writes the description of a stopped one-node testnet whose recorded binary no
// longer exists (as after `go run ./cmd/meridian testnet up`), and makes this command's own
// binary a script that plays a node: it writes addrs.json into --data-dir and exits. The
// node's API is an HTTPS server (its certificate in the node dir, as a node keeps it)
// whose /readyz answers 200.
func fakeTestnet(t *testing.T) (dir, script string) {
	return fakeTestnetReady(t, http.StatusOK)
}

// fakeTestnetReady is fakeTestnet with a node whose /readyz answers status.
func fakeTestnetReady(t *testing.T, status int) (dir, script string) {
	t.Helper()
	dir = t.TempDir()
	ready := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if status != http.StatusOK {
			w.WriteHeader(status)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"node.Ready: no Raft leader known: a majority of voters must be up"}}`))
		}
	}))
	t.Cleanup(ready.Close)
	pc := testnet.ProcCluster{
		Binary: filepath.Join(dir, "go-build123", "exe", "meridian"), Dir: dir, Token: "tok",
		Nodes: []testnet.ProcNode{{Dir: filepath.Join(dir, "node0"), Member: "m1", Region: "TW", API: strings.TrimPrefix(ready.URL, "https://")}},
	}
	// The node's certificate, where testnet reads the pins from.
	if err := os.MkdirAll(pc.Nodes[0].Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ready.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(pc.Nodes[0].Dir, node.TLSCertFile), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(pc)
	if err := os.WriteFile(filepath.Join(dir, testnet.StateFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(dir, "meridian-now")
	sh := "#!/bin/sh\n# node run --data-dir DIR\necho '{}' > \"$4/addrs.json\"\n"
	if err := os.WriteFile(script, []byte(sh), 0o755); err != nil {
		t.Fatal(err)
	}
	old := executable
	executable = func() (string, error) { return script, nil }
	t.Cleanup(func() { executable = old })
	return dir, script
}

func recordedBinary(t *testing.T, dir string) string {
	t.Helper()
	pc, err := testnet.LoadProcCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pc.Binary
}

// TestTestnetStartUsesThisBinary: `testnet start N` runs the node with the binary the user
// runs now, not the one recorded at `up` (go run deletes that one when it exits).
func TestTestnetStartUsesThisBinary(t *testing.T) {
	e := newCLIEnv(t)
	dir, script := fakeTestnet(t)
	r := e.exec(strings.NewReader(""), "testnet", "start", "0", "--dir", dir).ok(t)
	if !strings.HasPrefix(r.stdout, "node0 started and ready (pid ") {
		t.Errorf("testnet start printed %q", r.stdout)
	}
	if got := recordedBinary(t, dir); got != script {
		t.Errorf("testnet.json records binary %s, want %s", got, script)
	}
}

// TestTestnetUpRestartsWithThisBinary: `testnet up` over a stopped testnet starts its nodes
// with this binary too, and writes the client config.
func TestTestnetUpRestartsWithThisBinary(t *testing.T) {
	e := newCLIEnv(t)
	dir, script := fakeTestnet(t)
	r := e.exec(strings.NewReader(""), "testnet", "up", "--dir", dir, "--no-client-config").ok(t)
	if !strings.HasPrefix(r.stdout, "testnet of 1 nodes up") {
		t.Errorf("testnet up printed %q", r.stdout)
	}
	if got := recordedBinary(t, dir); got != script {
		t.Errorf("testnet.json records binary %s, want %s", got, script)
	}
	if _, err := os.Stat(filepath.Join(dir, "client.json")); err != nil {
		t.Errorf("no client config written: %v", err)
	}
	if r.stderr != "" {
		t.Errorf("plain restart printed on stderr: %q", r.stderr)
	}
	// asking for another shape over an existing testnet says that it was not applied
	r = e.exec(strings.NewReader(""), "testnet", "up", "--dir", dir, "--no-client-config", "--nodes", "3").ok(t)
	if !strings.Contains(r.stderr, "its 1 nodes were restarted as they are; --nodes and --members shape a new one") {
		t.Errorf("restart with --nodes 3: stderr %q", r.stderr)
	}
}

// TestTestnetConfigListsAdminMemberFirst: the client config written by `testnet up` lists
// the nodes of the admin's member first, so a put fails over from a dead node 0 to a node
// that may sign for the admin rather than to one that refuses.
func TestTestnetConfigListsAdminMemberFirst(t *testing.T) {
	dir := t.TempDir()
	pc := &testnet.ProcCluster{Dir: dir, Token: "tok"}
	for i, m := range []string{"m1", "m2", "m3", "m1", "m2"} {
		pc.Nodes = append(pc.Nodes, testnet.ProcNode{Member: m, API: "127.0.0.1:" + string(rune('0'+i)), Dir: filepath.Join(dir, fmt.Sprint("node", i))})
	}
	// Node 2 has made its certificate: its pin goes into the config.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	srv.Close()
	os.MkdirAll(pc.Nodes[2].Dir, 0o700)
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(pc.Nodes[2].Dir, node.TLSCertFile), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writeTestnetConfigs(pc, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadClientConfig(filepath.Join(dir, "client.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://127.0.0.1:0", "https://127.0.0.1:3", "https://127.0.0.1:1", "https://127.0.0.1:2", "https://127.0.0.1:4"}
	if strings.Join(cfg.Endpoints, " ") != strings.Join(want, " ") {
		t.Errorf("endpoints %v, want %v", cfg.Endpoints, want)
	}
	if len(cfg.Pins) != 1 || cfg.Pins[0] != api.Pin(srv.Certificate()) {
		t.Errorf("pins %v, want node 2's", cfg.Pins)
	}
}

// TestTestnetUpHintUnderGoRun: after `go run ./cmd/meridian testnet up` the hint says how to
// get a meridian binary, since go run leaves none.
func TestTestnetUpHintUnderGoRun(t *testing.T) {
	if h := tryHint("/tmp/go-build2519/b001/exe/meridian"); !strings.Contains(h, "go build -o meridian ./cmd/meridian && ./meridian put FILE") {
		t.Errorf("under go run: %q", h)
	}
	if h := tryHint("/usr/local/bin/meridian"); h != "try: meridian put FILE --catalog default\n" {
		t.Errorf("installed binary: %q", h)
	}
}

// TestTestnetStartReportsNotReady: a node that cannot become ready (most voters down) is
// reported with the node's reason after a bounded wait, and start still succeeds: the node
// runs, and starting the others is what brings it up.
func TestTestnetStartReportsNotReady(t *testing.T) {
	e := newCLIEnv(t)
	dir, _ := fakeTestnetReady(t, http.StatusServiceUnavailable)
	old := readyWait
	readyWait = 300 * time.Millisecond
	t.Cleanup(func() { readyWait = old })
	r := e.exec(strings.NewReader(""), "testnet", "start", "0", "--dir", dir).ok(t)
	if want := "but not ready after 300ms: node.Ready: no Raft leader known: a majority of voters must be up\n"; !strings.HasSuffix(r.stdout, want) {
		t.Errorf("testnet start printed %q, want it to end with %q", r.stdout, want)
	}
}

// TestTestnetUpKeepsDamagedState: a testnet.json that does not parse is reported, not
// replaced by a new testnet over the old nodes' data dirs.
func TestTestnetUpKeepsDamagedState(t *testing.T) {
	e := newCLIEnv(t)
	dir, _ := fakeTestnet(t)
	state := filepath.Join(dir, testnet.StateFile)
	if err := os.WriteFile(state, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.exec(strings.NewReader(""), "testnet", "up", "--dir", dir, "--no-client-config")
	if r.err == nil {
		t.Fatalf("testnet up over a damaged %s succeeded: %s", testnet.StateFile, r.stdout)
	}
	if b, _ := os.ReadFile(state); string(b) != "{" {
		t.Errorf("%s was rewritten: %q", testnet.StateFile, b)
	}
}
