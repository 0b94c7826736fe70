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

	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/testnet"
)

// TestIntegrationCLIDoesNotTellWhatExists runs the commands of issue 11 against a real
// federation of three members (node i of member m(i+1)): `ls` and `get` of something the
// caller may not read fail exactly as for something missing, and a user of m1 whose first
// endpoint is a node of m3 (no key for the object) reads through the next one.
func TestIntegrationCLIDoesNotTellWhatExists(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := testnet.Start(ctx, testnet.Options{Dir: t.TempDir(), Nodes: 3, Members: 3, StripeSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	dir := t.TempDir()
	t.Setenv("MERIDIAN_CONFIG", filepath.Join(dir, "none.json"))
	t.Setenv("MERIDIAN_TOKEN", "")
	e := &cliEnv{t: t, dir: dir}
	as := func(token string, args ...string) cliResult {
		t.Helper()
		for _, p := range cl.Pins() {
			args = append(args, "--pin", p)
		}
		return e.exec(strings.NewReader(""), append(args, "--token", token)...)
	}
	n0, n2 := cl.Endpoint(0), cl.Endpoint(2)
	as(cl.Token, "catalog", "create", "secret", "--scope", "member", "--endpoint", n0).ok(t)
	data := testData(2<<20+3, 5)
	p := strings.TrimSpace(as(cl.Token, "put", e.writeFile("in.bin", data), "--catalog", "secret", "--endpoint", n0).ok(t).stdout)
	c, err := pid.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	gone := pid.Sum([]byte("never published")).String()

	m3 := cl.MemberTokens["m3"]
	same := func(what string, a, b cliResult, hide ...[2]string) {
		t.Helper()
		norm := func(r cliResult, i int) string {
			s := r.stdout + "|" + r.stderr + "|"
			if r.err != nil {
				s += r.err.Error()
			}
			for _, h := range hide {
				s = strings.ReplaceAll(s, h[i], "{X}")
			}
			return s
		}
		if a.code != b.code || norm(a, 0) != norm(b, 1) {
			t.Errorf("%s tells that it exists:\nexists:  exit %d %s\nmissing: exit %d %s", what, a.code, norm(a, 0), b.code, norm(b, 1))
		}
		if a.code != exitNotFound {
			t.Errorf("%s: exit %d, want %d (not found): %v", what, a.code, exitNotFound, a.err)
		}
	}
	for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"m3's admin", m3}} {
		for _, ep := range []string{n0, n2} {
			same(who.name+" ls at "+ep,
				as(who.token, "ls", "secret", "--endpoint", ep), as(who.token, "ls", "absent", "--endpoint", ep),
				[2]string{"secret", "absent"})
			out := filepath.Join(dir, "out.bin")
			same(who.name+" get at "+ep,
				as(who.token, "get", p, "-o", out, "--endpoint", ep), as(who.token, "get", gone, "-o", out, "--endpoint", ep),
				[2]string{c.String(), gone})
		}
	}

	// m1's admin, a node of m3 first: wrong_node there, the read succeeds at the next one.
	out := filepath.Join(dir, "via-m3.bin")
	as(cl.Token, "get", p, "-o", out, "--endpoint", n2, "--endpoint", n0).ok(t)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("get through m3's node first gave %d bytes, want %d", len(got), len(data))
	}
	// Through m3's node alone it is refused with wrong_node (exit 4), naming no internals.
	r := as(cl.Token, "get", p, "-o", out, "--endpoint", n2).wantCode(t, exitPermission)
	if !strings.Contains(r.err.Error(), "holds no key") || strings.Contains(r.err.Error(), "node.") {
		t.Fatalf("get through m3's node alone: %v", r.err)
	}
}
