//go:build integration

package testnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/pid"
)

// leakRoute is one request of the route table. Its path and body hold {pid}, {cat} or {name},
// replaced by an existing or a missing one.
type leakRoute struct {
	method, path, body string
	header             map[string]string
}

var leakRoutes = []leakRoute{
	{method: "GET", path: "/v1/objects/{pid}"},
	{method: "HEAD", path: "/v1/objects/{pid}"},
	{method: "GET", path: "/v1/objects/{pid}/content"},
	{method: "HEAD", path: "/v1/objects/{pid}/content"},
	{method: "GET", path: "/v1/objects/{pid}/content", header: map[string]string{"Range": "bytes=0-9"}},
	{method: "GET", path: "/v1/objects/{pid}/provenance"},
	{method: "GET", path: "/v1/objects/{pid}/verify?content=true"},
	{method: "POST", path: "/v1/objects/{pid}/verify"},
	{method: "GET", path: "/pid/{pid}"},
	{method: "HEAD", path: "/pid/{pid}"},
	{method: "GET", path: "/pid/{pid}", header: map[string]string{"Accept": "text/html,*/*;q=0.8"}},
	{method: "GET", path: "/pid/{pid}?format=prov"},
	{method: "GET", path: "/pid/{pid}?format=datacite"},
	{method: "GET", path: "/pid/{pid}/content"},
	{method: "GET", path: "/v1/catalogs/{cat}"},
	{method: "PATCH", path: "/v1/catalogs/{cat}", body: `{"scope":"public"}`, header: map[string]string{"Content-Type": "application/json"}},
	{method: "GET", path: "/v1/catalogs/{cat}/objects"},
	{method: "GET", path: "/v1/catalogs/{cat}/events"},
	{method: "PUT", path: "/v1/catalogs/{cat}/objects?name=x.bin", body: "x"},
	{method: "GET", path: "/v1/search?catalog={cat}"},
	{method: "GET", path: "/v1/search?name={name}"},
}

// leakTarget is what a column names: an existing object, its catalog and its name, or
// missing ones of the same lengths (so lengths and Content-Length cannot differ either).
type leakTarget struct{ pid, cat, name string }

func (lt leakTarget) fill(s string) string {
	return strings.NewReplacer("{pid}", lt.pid, "{cat}", lt.cat, "{name}", lt.name).Replace(s)
}

// normalise turns what the request itself named back into its placeholder, so the answers of
// the two columns can be compared byte for byte.
func (lt leakTarget) normalise(s string) string {
	var pairs []string
	for _, kv := range [][2]string{{lt.pid, "{pid}"}, {lt.cat, "{cat}"}, {lt.name, "{name}"}} {
		if kv[0] != "" {
			pairs = append(pairs, kv[0], kv[1])
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// leakAnswer is an answer as compared: status, headers (without Date) and body.
type leakAnswer struct {
	status int
	header string
	body   string
}

func askLeak(t *testing.T, ctx context.Context, c *Cluster, i int, token string, r leakRoute, lt leakTarget) leakAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // bounds an event stream that opened
	defer cancel()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(lt.fill(r.body))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.URL(i)+lt.fill(r.path), body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		b = append(b, []byte("\n[body broken: "+err.Error()+"]")...)
	}
	resp.Header.Del("Date")
	var h bytes.Buffer
	_ = resp.Header.Write(&h)
	return leakAnswer{status: resp.StatusCode, header: lt.normalise(h.String()), body: lt.normalise(string(b))}
}

// opName is an internal function name in an answer ("node.dataKey: ", "policy.Can: ").
var opName = regexp.MustCompile(`\b(api|node|catalog|policy|pid|store|p2p|chunker|placement|consensus)\.[A-Za-z.]+: `)

// TestIntegrationNoLeaks walks every route × caller who may not read × (exists, missing) on
// every node and asserts the two columns get identical answers: nobody learns that an object
// or catalog exists unless they may read it.
func TestIntegrationNoLeaks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Three nodes, one per member: node 0 of m1 (owner), node 1 of m2 (a grantee's member),
	// node 2 of m3 (no relation).
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 3, Members: 3, StripeSize: stripe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	admin := c.Client(0)
	m2, m3 := mustAddMemberAdmin(t, ctx, c, 1), mustAddMemberAdmin(t, ctx, c, 2)
	tokens := map[string]string{}
	addUser := func(cl *api.Client, member, id string, roles ...string) *api.NewToken {
		tok, err := cl.AddUser(ctx, api.User{ID: id, Member: member, Roles: roles})
		if err != nil {
			t.Fatalf("add user %s: %v", id, err)
		}
		tokens[id] = tok.Secret
		return tok
	}
	addUser(m2, "m2", "alice", "read")
	addUser(m2, "m2", "bob", "read")
	revoked := addUser(m2, "m2", "carol", "read")
	addUser(m3, "m3", "dave", "read")
	addUser(admin, "m1", "idle") // a user of the owner member without any role
	addUser(admin, "m1", "reader", "read")
	if err := m2.RevokeToken(ctx, "carol", revoked.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateCatalog(ctx, api.Catalog{Name: "secret", Scope: "member",
		Grants: []api.Grant{{User: "alice", Action: "read"}}}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(300)
	obj, err := admin.Put(ctx, "secret", "leak.bin", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	exists := leakTarget{pid: strings.TrimPrefix(obj.PID, pid.Scheme), cat: "secret", name: "leak.bin"}
	missing := leakTarget{pid: missingPID(t), cat: "absent", name: "gone.bin"}

	// Every node must have applied the users, the revocation, the grant and the publish
	// before the table runs (a lagging replica would call bob's token unknown: 401).
	for i := 0; i < c.Len(); i++ {
		waitUntil(t, ctx, fmt.Sprintf("node%d to apply the setup", i), func() bool {
			last := askLeak(t, ctx, c, i, tokens["idle"], leakRoutes[0], missing) // the last user added
			return askLeak(t, ctx, c, i, tokens["alice"], leakRoutes[0], exists).status == http.StatusOK &&
				askLeak(t, ctx, c, i, tokens["carol"], leakRoutes[0], exists).status == http.StatusUnauthorized &&
				last.status == http.StatusNotFound
		})
	}
	callers := []struct {
		name, token string
		presented   bool // a token that is presented and invalid: 401 in both columns
	}{
		{"anonymous", "", false},
		{"wrong token", "not-a-token-of-this-federation", true},
		{"revoked token", tokens["carol"], true},
		{"other member's user", tokens["dave"], false},
		{"same member as a grantee, without grant", tokens["bob"], false},
		{"owner member's user without a role", tokens["idle"], false},
	}
	for i := 0; i < c.Len(); i++ {
		for _, r := range leakRoutes {
			for _, who := range callers {
				name := fmt.Sprintf("node%d %s %s as %s", i, r.method, r.path, who.name)
				a := askLeak(t, ctx, c, i, who.token, r, exists)
				b := askLeak(t, ctx, c, i, who.token, r, missing)
				if a != b {
					t.Errorf("%s: the answer tells that it exists\nexists:  %d\n%s\n%s\nmissing: %d\n%s\n%s",
						name, a.status, a.header, a.body, b.status, b.header, b.body)
					continue
				}
				if (a.status == http.StatusUnauthorized) != who.presented || a.status == http.StatusForbidden {
					t.Errorf("%s: status %d: 401 only and always for a presented invalid token, never 403\n%s", name, a.status, a.body)
				}
				if op := opName.FindString(a.body); op != "" {
					t.Errorf("%s: answer names an internal function %q: %s", name, op, a.body)
				}
			}
		}
	}
	t.Run("latency", func(t *testing.T) { logLatencies(t, ctx, c, exists, missing) })
	t.Run("readers hear real reasons", func(t *testing.T) { checkRealReasons(t, ctx, c, tokens, exists) })
	t.Run("read through another member's node first", func(t *testing.T) {
		readThroughOtherNodeFirst(t, ctx, c, obj.PID, data)
	})
}

// missingPID is a well-formed PID that no federation holds.
func missingPID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 64)
	rand.Read(b)
	return pid.Sum(b).String()
}

// checkRealReasons: callers who may read the catalog are told the truth (so the table above
// is about concealment, not about refusing everyone): the grantee reads, a reader of the
// owner member is told which role a change needs.
func checkRealReasons(t *testing.T, ctx context.Context, c *Cluster, tokens map[string]string, lt leakTarget) {
	for i := 0; i < c.Len(); i++ {
		if a := askLeak(t, ctx, c, i, tokens["alice"], leakRoutes[0], lt); a.status != http.StatusOK {
			t.Errorf("node%d: grantee alice reading the object: %d %s", i, a.status, a.body)
		}
	}
	// Catalog changes go through a node of the caller's member: alice's is node 1 (m2),
	// reader's node 0 (m1).
	patch := leakRoutes[slices.IndexFunc(leakRoutes, func(r leakRoute) bool { return r.method == "PATCH" })]
	for who, i := range map[string]int{"alice": 1, "reader": 0} {
		a := askLeak(t, ctx, c, i, tokens[who], patch, lt)
		var eb struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(a.body), &eb)
		if a.status != http.StatusForbidden || eb.Error.Code != "permission_denied" || !strings.Contains(eb.Error.Message, "admin") {
			t.Errorf("node%d: reader %s changing the scope: %d %s, want 403 saying admin is needed", i, who, a.status, a.body)
		}
	}
}

// readThroughOtherNodeFirst: a user of m1 whose first endpoint is a node of m3 (which holds no
// key for the object) is answered wrong_node there and reads through the next endpoint.
func readThroughOtherNodeFirst(t *testing.T, ctx context.Context, c *Cluster, p string, want []byte) {
	cl, err := api.NewClient([]string{c.Endpoint(2), c.Endpoint(0)}, c.Token, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, ctx, cl, p, want)
	cl, err = api.NewClient([]string{c.Endpoint(2), c.Endpoint(0)}, c.Token, c.TLS()) // not sticky to node 0 yet
	if err != nil {
		t.Fatal(err)
	}
	if v, err := cl.Verify(ctx, p, true); err != nil || !v.ContentChecked || !v.ContentOK {
		t.Fatalf("verify --content through m3's node first: %+v, %v", v, err)
	}
	content := leakRoute{method: "GET", path: "/v1/objects/{pid}/content"}
	a := askLeak(t, ctx, c, 2, c.Token, content, leakTarget{pid: strings.TrimPrefix(p, pid.Scheme)})
	if a.status != http.StatusMisdirectedRequest || !strings.Contains(a.body, `"code":"wrong_node"`) || opName.MatchString(a.body) {
		t.Fatalf("m1's admin reading through m3's node alone: %d %s, want 421 wrong_node without internal names", a.status, a.body)
	}
}

// logLatencies measures (and only logs: two shared cores are too noisy to assert on) the
// median latency of an anonymous GET of the existing and of the missing object on each
// node, interleaved, so the report can say whether timing tells them apart.
func logLatencies(t *testing.T, ctx context.Context, c *Cluster, exists, missing leakTarget) {
	const rounds = 40
	for i := 0; i < c.Len(); i++ {
		var de, dm []time.Duration
		for range rounds {
			for _, lt := range []leakTarget{exists, missing} {
				start := time.Now()
				askLeak(t, ctx, c, i, "", leakRoutes[0], lt)
				if lt == exists {
					de = append(de, time.Since(start))
				} else {
					dm = append(dm, time.Since(start))
				}
			}
		}
		slices.Sort(de)
		slices.Sort(dm)
		t.Logf("node%d anonymous GET /v1/objects: median %v (refused) vs %v (missing), p90 %v vs %v",
			i, de[rounds/2], dm[rounds/2], de[rounds*9/10], dm[rounds*9/10])
	}
}
