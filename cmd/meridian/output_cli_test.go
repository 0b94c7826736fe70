package main

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOutputsBuiltHere pins the outputs the CLI builds itself rather than passing on from
// the node: scripts parse them, so their text, JSON keys and streams must not drift.
func TestOutputsBuiltHere(t *testing.T) {
	e := newCLIEnv(t)
	e.admin("user", "add", "alice").ok(t)
	e.admin("user", "token", "alice").ok(t)
	r := e.admin("user", "revoke", "alice", "t1", "--json").ok(t)
	if want := "{\n  \"revoked\": \"t1\",\n  \"user\": \"alice\"\n}\n"; r.stdout != want {
		t.Errorf("user revoke --json: %q, want %q", r.stdout, want)
	}
	if r := e.admin("user", "revoke", "alice", "t2").ok(t); r.stdout != "revoked token t2 of user alice\n" {
		t.Errorf("user revoke: %q", r.stdout)
	}

	r = e.admin("audit", "--from", "10", "--json").ok(t)
	if !strings.Contains(r.stdout, `"entries": []`) || r.stderr != "" {
		t.Errorf("audit past the end --json: %q / %q", r.stdout, r.stderr)
	}
	if r := e.admin("audit", "--from", "10").ok(t); strings.TrimSpace(r.stdout) != "INDEX  TIME  ACTOR  KIND  DIGEST  CHAIN" || r.stderr != "" {
		t.Errorf("audit past the end: %q / %q", r.stdout, r.stderr)
	}

	p := e.publish("k.bin", testData(5000, 3))
	out := filepath.Join(e.dir, "k.out")
	wantKeys(t, "get --json", e.admin("get", p, "-o", out, "--json").ok(t).stdout, "bytes", "content", "output", "pid", "verified")
	wantKeys(t, "get --range --json", e.admin("get", p, "-o", out, "--range", "0-9", "--json").ok(t).stdout, "bytes", "output", "pid", "range", "verified")
	if r := e.admin("get", p, "--range", "0-9"); r.stdout != string(testData(5000, 3)[:10]) || r.stderr != "" {
		t.Errorf("get to stdout printed more than the content: %q / %q", r.stdout, r.stderr)
	}
}

// wantKeys fails unless out is one JSON object with exactly the keys given (sorted).
func wantKeys(t *testing.T, what, out string, keys ...string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, keys) {
		t.Errorf("%s: keys %v, want %v", what, got, keys)
	}
}
