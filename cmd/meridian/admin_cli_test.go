package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

func TestCatalogCommands(t *testing.T) {
	e := newCLIEnv(t)
	r := e.admin("catalog", "create", "landsat5", "--scope", "federation", "--k", "3", "--m", "2",
		"--regions", "JP,TW", "--exclude", "esa", "--jurisdiction").ok(t)
	for _, want := range []string{"owner     aist", "scope     federation", "coding    3+2", "regions   JP,TW", "excluded  esa", "jurisdiction"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("create output lacks %q:\n%s", want, r.stdout)
		}
	}
	e.admin("catalog", "create", "landsat5").wantCode(t, exitFailure) // Exist
	e.admin("catalog", "grant", "landsat5", "--member", "nchc", "--action", "read").ok(t)
	e.admin("catalog", "grant", "landsat5", "--member", "nchc", "--action", "read").ok(t) // no duplicate
	e.admin("catalog", "grant", "landsat5", "--user", "bob", "--action", "publish").ok(t)
	var cat api.Catalog
	e.admin("catalog", "show", "landsat5", "--json").ok(t).decode(t, &cat)
	want := []api.Grant{{Member: "nchc", Action: "read"}, {User: "bob", Action: "publish"}}
	if len(cat.Grants) != 2 || cat.Grants[0] != want[0] || cat.Grants[1] != want[1] {
		t.Fatalf("grants %+v, want %+v", cat.Grants, want)
	}
	e.admin("catalog", "grant", "landsat5", "--member", "nchc", "--action", "read", "--revoke").ok(t)
	e.admin("catalog", "grant", "landsat5", "--member", "nchc", "--action", "read", "--revoke").wantCode(t, exitNotFound)
	r = e.admin("catalog", "show", "landsat5").ok(t)
	if strings.Contains(r.stdout, "member nchc") || !strings.Contains(r.stdout, "grant     publish to user bob") {
		t.Fatalf("after revoke:\n%s", r.stdout)
	}
	e.admin("catalog", "scope", "landsat5", "public", "--json").ok(t).decode(t, &cat)
	if cat.Scope != "public" || len(cat.Grants) != 1 {
		t.Fatalf("scope change: %+v", cat)
	}
	e.admin("catalog", "grant", "landsat5", "--action", "read").wantCode(t, exitUsage)
	e.admin("catalog", "grant", "landsat5", "--member", "a", "--user", "b", "--action", "read").wantCode(t, exitUsage)
	e.admin("catalog", "grant", "landsat5", "--member", "a", "--action", "admin").wantCode(t, exitUsage)
	e.admin("catalog", "show").wantCode(t, exitUsage)
	e.admin("catalog", "show", "nope").wantCode(t, exitNotFound)

	r = e.admin("ls").ok(t)
	if !strings.Contains(r.stdout, "landsat5  aist   public") || !strings.Contains(r.stdout, "3+2") {
		t.Fatalf("ls:\n%s", r.stdout)
	}
	var cats []api.Catalog
	e.admin("ls", "--json").ok(t).decode(t, &cats)
	if len(cats) != 2 {
		t.Fatalf("ls --json: %+v", cats)
	}
}

func TestUserCommands(t *testing.T) {
	e := newCLIEnv(t)
	r := e.admin("user", "add", "alice", "--roles", "read,publish").ok(t)
	if r.stdout != "secret-alice\n" || !strings.Contains(r.stderr, "shown only this once") || !strings.Contains(r.stderr, "(token id t1; 'meridian user revoke alice t1' revokes it)") {
		t.Fatalf("user add: stdout %q stderr %q", r.stdout, r.stderr)
	}
	var tok api.NewToken
	e.admin("user", "token", "alice", "--json").ok(t).decode(t, &tok)
	if tok.User != "alice" || tok.ID != "t2" || tok.Secret == "" {
		t.Fatalf("user token: %+v", tok)
	}
	r = e.admin("user", "ls").ok(t)
	if !strings.Contains(r.stdout, "alice  aist    read,publish  t1,t2") {
		t.Fatalf("user ls:\n%s", r.stdout)
	}
	e.admin("user", "revoke", "alice", "t1").ok(t)
	e.admin("user", "revoke", "alice", "t1").wantCode(t, exitNotFound)
	var users []api.User
	e.admin("user", "ls", "--json").ok(t).decode(t, &users)
	if len(users) != 2 || users[0].ID != "alice" || len(users[0].Tokens) != 1 || users[0].Tokens[0] != "t2" {
		t.Fatalf("users: %+v", users)
	}
	e.as("reader", "user", "add", "mallory").wantCode(t, exitPermission)
	e.admin("user", "revoke", "alice").wantCode(t, exitUsage)
}

func TestStatusMembersNodes(t *testing.T) {
	e := newCLIEnv(t)
	e.publish("a.bin", []byte("a"))
	r := e.admin("status").ok(t)
	for _, want := range []string{"12D3KooWlead", "applied index    1", "connected peers  4", "objects          1",
		"10 full, 2 degraded, 1 critical, 0 lost", "repair queue     3", "scrub age        2h0m0s", "(1m30s ago, by the last repair pass)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	var st api.Status
	e.admin("status", "--json").ok(t).decode(t, &st)
	if st.Redundancy == nil || st.Redundancy.Critical != 1 || st.Term != 2 {
		t.Fatalf("status --json: %+v", st)
	}
	if r := e.admin("members").ok(t); !strings.Contains(r.stdout, "nchc  NCHC  TW") {
		t.Fatalf("members:\n%s", r.stdout)
	}
	var nodes []api.NodeInfo
	e.admin("nodes", "--json").ok(t).decode(t, &nodes)
	if len(nodes) != 2 || !nodes[0].Voter {
		t.Fatalf("nodes: %+v", nodes)
	}
	r = e.admin("nodes").ok(t)
	if !strings.Contains(r.stdout, "voter  active  true       127.0.0.1:8480  2.0 KiB") {
		t.Fatalf("nodes:\n%s", r.stdout)
	}
	// what the answering node does not know is shown as unknown, not as 0 B used
	if !strings.Contains(r.stdout, "12D3KooWother  nchc    voter  active  false      -               -") {
		t.Fatalf("nodes, unknown API and storage:\n%s", r.stdout)
	}
}

func TestAudit(t *testing.T) {
	e := newCLIEnv(t)
	r := e.admin("audit", "--from", "1", "--limit", "2").ok(t)
	if !strings.Contains(r.stdout, "aist/root") || strings.Count(r.stdout, "publish") != 2 || !strings.Contains(r.stderr, "--from 3") {
		t.Fatalf("audit: %s / %s", r.stdout, r.stderr)
	}
	var page api.AuditPage
	e.admin("audit", "--from", "3", "--json").ok(t).decode(t, &page)
	if len(page.Entries) != 2 || page.Entries[0].Index != 3 || page.Next != 0 {
		t.Fatalf("audit --json: %+v", page)
	}
}

// TestStatusBeforeFirstRepairPass: a node that has not finished its first repair pass sends
// no redundancy; status says the counts are not known rather than print nothing or zeros.
func TestStatusBeforeFirstRepairPass(t *testing.T) {
	var b strings.Builder
	if err := printStatus(&b, &api.Status{Node: api.NodeInfo{PeerID: "12D3KooWfake"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "not known yet") || strings.Contains(b.String(), "0 full") {
		t.Fatalf("status without redundancy:\n%s", b.String())
	}
}

// TestStatusAll asks every endpoint and adds up the nodes' shares; a node that does not answer
// is listed and leaves no total.
func TestStatusAll(t *testing.T) {
	e := newCLIEnv(t)
	r := e.admin("status", "--all", "--endpoint", e.url).ok(t) // the fake answers twice: 2 shares
	if !strings.Contains(r.stdout, "federation: 20 full, 4 degraded, 2 critical, 0 lost; repair queue 6 (2 of 2 nodes") {
		t.Fatalf("status --all over two answering nodes:\n%s", r.stdout)
	}
	var fs fedStatus
	e.admin("status", "--all", "--json").ok(t).decode(t, &fs)
	if fs.Answered != 1 || fs.Total == nil || fs.Total.Full != 10 {
		t.Fatalf("status --all --json: %+v", fs)
	}
	down := httptest.NewServer(nil)
	down.Close()
	r = e.admin("status", "--all", "--endpoint", down.URL).ok(t)
	if !strings.Contains(r.stdout, "no answer") || !strings.Contains(r.stdout, "federation: no total: 1 of 2 nodes") {
		t.Fatalf("status --all with a node down:\n%s", r.stdout)
	}
}
