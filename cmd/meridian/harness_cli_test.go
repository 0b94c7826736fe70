package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

// cliEnv is one fake node behind a real HTTP API server, and a way to run commands at it.
type cliEnv struct {
	t   testing.TB
	f   *fakeBackend
	url string
	dir string
}

func newCLIEnv(t testing.TB) *cliEnv {
	t.Helper()
	f := newFakeBackend()
	ts := httptest.NewServer(api.NewServer(f, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	t.Setenv("MERIDIAN_CONFIG", filepath.Join(dir, "no-such-config.json"))
	t.Setenv("MERIDIAN_TOKEN", "")
	return &cliEnv{t: t, f: f, url: ts.URL, dir: dir}
}

type cliResult struct {
	stdout, stderr string
	code           int
	err            error
}

// exec runs meridian with args exactly as given, stdin from in.
func (e *cliEnv) exec(in io.Reader, args ...string) cliResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(ctx)
	r := cliResult{stdout: out.String(), stderr: errb.String(), err: err}
	if err != nil {
		r.code = exitCode(err)
	}
	return r
}

// as runs a client command at the env's node with token.
func (e *cliEnv) as(token string, args ...string) cliResult {
	e.t.Helper()
	return e.exec(strings.NewReader(""), append(args, "--endpoint", e.url, "--token", token)...)
}

// admin runs a client command as the admin.
func (e *cliEnv) admin(args ...string) cliResult {
	e.t.Helper()
	return e.as("admin", args...)
}

// ok fails the test unless r succeeded.
func (r cliResult) ok(t testing.TB) cliResult {
	t.Helper()
	if r.err != nil {
		t.Fatalf("command failed (exit %d): %v\nstdout: %s\nstderr: %s", r.code, r.err, r.stdout, r.stderr)
	}
	return r
}

// wantCode fails the test unless r exited with code.
func (r cliResult) wantCode(t testing.TB, code int) cliResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d (err: %v)\nstdout: %s", r.code, code, r.err, r.stdout)
	}
	return r
}

func (r cliResult) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, r.stdout)
	}
}

// testData is n deterministic pseudo-random bytes.
func testData(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// writeFile writes data to name in the env's directory and returns its path.
func (e *cliEnv) writeFile(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// publish puts data as name into catalog open and returns the PID.
func (e *cliEnv) publish(name string, data []byte, extra ...string) string {
	e.t.Helper()
	path := e.writeFile(name, data)
	r := e.admin(append([]string{"put", path, "--catalog", "open"}, extra...)...).ok(e.t)
	return strings.TrimSpace(r.stdout)
}

// publishDirect publishes through the fake backend itself, bypassing the put command's checks.
func (e *cliEnv) publishDirect(name string, data []byte) string {
	e.t.Helper()
	sub := api.Subject{Member: "aist", User: "root", Roles: []string{"publish"}}
	o, err := e.f.Publish(context.Background(), sub, api.PublishRequest{Catalog: "open", Name: name}, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	return o.PID
}
