//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationTestnetAdminsOfEveryMember: `testnet up` (real node processes) writes an
// admin config for every member and says where; with m2's, an m2 user can be added and an m2
// node drained, which m1's admin may not do; the testnet's members and voters came in
// through governance decisions, listed by `federation proposals`.
func TestIntegrationTestnetAdminsOfEveryMember(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "meridian")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/meridian-fed/meridian/cmd/meridian").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	old := executable
	executable = func() (string, error) { return bin, nil }
	t.Cleanup(func() { executable = old })
	e := &cliEnv{t: t, dir: t.TempDir()}
	t.Setenv("MERIDIAN_CONFIG", filepath.Join(e.dir, "none.json"))
	dir := filepath.Join(e.dir, "tn")
	up := e.exec(strings.NewReader(""), "testnet", "up", "--dir", dir, "--no-client-config").ok(t)
	t.Cleanup(func() { e.exec(strings.NewReader(""), "testnet", "down", "--purge", "--dir", dir) })
	cfg := map[string]string{}
	for _, m := range []string{"m1", "m2", "m3"} {
		cfg[m] = filepath.Join(dir, "client-"+m+".json")
		if !strings.Contains(up.stdout, cfg[m]) {
			t.Fatalf("testnet up does not say where %s's admin config is:\n%s", m, up.stdout)
		}
		if _, err := os.Stat(cfg[m]); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.exec(strings.NewReader(""), "user", "add", "x2", "--member", "m2", "--config", filepath.Join(dir, "client.json")); r.code == 0 {
		t.Fatal("m1's admin added a user of m2")
	}
	e.exec(strings.NewReader(""), "user", "add", "x2", "--member", "m2", "--config", cfg["m2"]).ok(t)

	var nodes []struct {
		PeerID string `json:"peer_id"`
		Member string `json:"member"`
		Voter  bool   `json:"voter"`
	}
	e.exec(strings.NewReader(""), "nodes", "--json", "--config", cfg["m2"]).ok(t).decode(t, &nodes)
	var m2node string
	voters := map[string]int{}
	for _, n := range nodes {
		if n.Member == "m2" {
			m2node = n.PeerID
		}
		if n.Voter {
			voters[n.Member]++
		}
	}
	if voters["m1"] != 2 || voters["m2"] != 2 || voters["m3"] != 1 {
		t.Fatalf("voters per member %v, want m1:2 m2:2 m3:1", voters)
	}
	if r := e.exec(strings.NewReader(""), "node", "drain", m2node, "--config", filepath.Join(dir, "client.json")); r.code == 0 {
		t.Fatal("m1's admin drained a node of m2")
	}
	e.exec(strings.NewReader(""), "node", "drain", m2node, "--config", cfg["m2"]).ok(t)

	var ps []struct {
		Action string `json:"action"`
		Member string `json:"member"`
		Status string `json:"status"`
	}
	e.exec(strings.NewReader(""), "federation", "proposals", "--json", "--config", cfg["m3"]).ok(t).decode(t, &ps)
	got, _ := json.Marshal(ps)
	for _, want := range []string{`{"action":"add-member","member":"m2","status":"passed"}`, `{"action":"add-member","member":"m3","status":"passed"}`} {
		if !strings.Contains(string(got), want) {
			t.Fatalf("proposals %s lack %s", got, want)
		}
	}
}
