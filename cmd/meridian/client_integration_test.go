//go:build integration

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/testnet"
)

// TestIntegrationClientCommands runs the client commands against a real in-process
// federation: records rendered by real nodes must pass the CLI's offline checks.
func TestIntegrationClientCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cl, err := testnet.Start(ctx, testnet.Options{Dir: t.TempDir(), StripeSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	dir := t.TempDir()
	t.Setenv("MERIDIAN_CONFIG", filepath.Join(dir, "none.json"))
	t.Setenv("MERIDIAN_TOKEN", cl.Token)
	e := &cliEnv{t: t, dir: dir}
	var pins []string
	for _, p := range cl.Pins() {
		pins = append(pins, "--pin", p)
	}
	run := func(node int, args ...string) cliResult {
		t.Helper()
		return e.exec(strings.NewReader(""), append(append(args, "--endpoint", cl.Endpoint(node)), pins...)...)
	}
	// Without the node's pin the CLI refuses its self-signed certificate and says what to do.
	if r := e.exec(strings.NewReader(""), "status", "--endpoint", "https://"+cl.Endpoint(0)); r.code == 0 || r.err == nil || !strings.Contains(r.err.Error(), "--pin") {
		t.Fatalf("unpinned node: exit %d, %v", r.code, r.err)
	}
	run(0, "catalog", "create", "it", "--scope", "federation").ok(t)
	data := testData(3<<20+5, 11)
	in := e.writeFile("in.bin", data)
	parent := strings.TrimSpace(run(0, "put", in, "--catalog", "it", "--meta", "sensor=TM").ok(t).stdout)
	child := strings.TrimSpace(run(3, "put", in, "--catalog", "it", "--derived-from", parent,
		"--activity", "name=copy,software=cp,mode=fast").ok(t).stdout)

	out := filepath.Join(dir, "out.bin")
	run(2, "get", child, "-o", out).ok(t)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("get gave %d bytes, want %d", len(got), len(data))
	}
	r := run(3, "verify", child, "--content").ok(t)
	if strings.Contains(r.stdout, "FAIL") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	r = run(4, "provenance", child).ok(t)
	if !strings.Contains(r.stdout, "└── "+parent) {
		t.Fatalf("provenance:\n%s", r.stdout)
	}
	run(0, "status").ok(t)
	run(0, "ls", "it", "--all").ok(t)
	t.Logf("verify:\n%s", run(0, "verify", parent).ok(t).stdout)
}
