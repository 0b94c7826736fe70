package main

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// A PID of the right form that no node knows.
const unknownPID = "pid:bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"

func TestExitCodes(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("x.bin", []byte("x"))
	down := httptest.NewServer(nil)
	down.Close()
	in := strings.NewReader("")
	for _, c := range []struct {
		name string
		r    cliResult
		want int
	}{
		{"unknown PID", e.admin("resolve", unknownPID), exitNotFound},
		{"not a PID", e.admin("get", "hello"), exitUsage},
		{"unknown catalog", e.admin("ls", "nope"), exitNotFound},
		{"bad token", e.as("wrong", "resolve", p), exitPermission},
		{"anonymous publish", e.as("", "put", e.writeFile("y.bin", []byte("y")), "--catalog", "open"), exitPermission},
		{"reader creates catalog", e.as("reader", "catalog", "create", "c"), exitPermission},
		{"missing --catalog", e.admin("put", "f"), exitUsage},
		{"unknown flag", e.admin("ls", "--bogus"), exitUsage},
		{"missing file", e.admin("put", filepath.Join(e.dir, "absent"), "--catalog", "open"), exitNotFound},
		{"bad --meta", e.admin("put", "-", "--catalog", "open", "--meta", "novalue"), exitUsage},
		{"node down", e.exec(in, "status", "--endpoint", down.URL), exitUnavailable},
		{"bad endpoint", e.exec(in, "status", "--endpoint", "ftp://x"), exitUsage},
		{"no config, no endpoint", e.exec(in, "status"), exitNotFound},
	} {
		if c.r.code != c.want {
			t.Errorf("%s: exit %d, want %d (%v)", c.name, c.r.code, c.want, c.r.err)
		}
	}
	// anonymous reads of a public catalog work without a token or a config
	e.as("", "resolve", p).ok(t)
}

func TestFailoverAcrossEndpoints(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("x.bin", []byte("x"))
	down := httptest.NewServer(nil)
	down.Close()
	r := e.exec(strings.NewReader(""), "resolve", p, "--endpoint", down.URL, "--endpoint", e.url).ok(t)
	if !strings.Contains(r.stdout, "x.bin") {
		t.Fatalf("resolve through the second endpoint: %s", r.stdout)
	}
}

func TestConfigAndTokenPrecedence(t *testing.T) {
	e := newCLIEnv(t)
	cfg := filepath.Join(e.dir, "client.json")
	if err := writeClientConfig(cfg, &clientConfig{Endpoints: []string{e.url}, Token: "admin"}); err != nil {
		t.Fatal(err)
	}
	in := strings.NewReader("")
	e.exec(in, "catalog", "create", "a", "--config", cfg).ok(t)
	// --token beats the config's token
	e.exec(in, "catalog", "create", "b", "--config", cfg, "--token", "reader").wantCode(t, exitPermission)
	// $MERIDIAN_TOKEN beats the config's token, --token beats $MERIDIAN_TOKEN
	t.Setenv("MERIDIAN_TOKEN", "reader")
	e.exec(in, "catalog", "create", "c", "--config", cfg).wantCode(t, exitPermission)
	e.exec(in, "catalog", "create", "d", "--config", cfg, "--token", "admin").ok(t)
	// $MERIDIAN_CONFIG is the default config
	t.Setenv("MERIDIAN_TOKEN", "")
	t.Setenv("MERIDIAN_CONFIG", cfg)
	e.exec(in, "catalog", "create", "e").ok(t)
	// an explicit --config that does not exist is an error even with --endpoint
	e.exec(in, "status", "--endpoint", e.url, "--config", filepath.Join(e.dir, "absent.json")).wantCode(t, exitNotFound)
	// a broken config is a usage error
	os.WriteFile(cfg, []byte("{"), 0o600)
	e.exec(in, "status").wantCode(t, exitUsage)
}

// TestExitCodeOfKinds pins the exit code of each error kind a node can answer.
func TestExitCodeOfKinds(t *testing.T) {
	for k, want := range map[errs.Kind]int{
		errs.Invalid: exitUsage, errs.NotExist: exitNotFound, errs.Permission: exitPermission,
		errs.Unauthenticated: exitPermission, errs.WrongNode: exitPermission,
		errs.Unavailable: exitUnavailable, errs.Timeout: exitUnavailable, errs.Corrupt: exitCorrupt,
		errs.NotCaughtUp: exitUnavailable,
	} {
		if got := exitCode(errs.E("test", k, errors.New("x"))); got != want {
			t.Errorf("exit code of a %v error = %d, want %d", k, got, want)
		}
	}
}
