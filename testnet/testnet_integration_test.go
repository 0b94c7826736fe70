//go:build integration

package testnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

const stripe = 1 << 20

func startCluster(t *testing.T, ctx context.Context) *Cluster {
	t.Helper()
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: stripe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func put(t *testing.T, ctx context.Context, cl *api.Client, cat string, data []byte) string {
	t.Helper()
	obj, err := cl.Put(ctx, cat, "blob.bin", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("put into %s: %v", cat, err)
	}
	return obj.PID
}

func mustGet(t *testing.T, ctx context.Context, cl *api.Client, p string, want []byte) {
	t.Helper()
	var got bytes.Buffer
	if _, err := cl.Get(ctx, p, &got); err != nil {
		t.Fatalf("get %s: %v", p, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("got %d bytes, not the %d published", got.Len(), len(want))
	}
}

func TestIntegrationPutGetAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	data := randomBytes(5*stripe + 123)
	p := put(t, ctx, c.Client(0), "default", data)
	mustGet(t, ctx, c.Client(3), p, data)

	t.Run("range reads at stripe edges", func(t *testing.T) {
		for _, r := range [][2]int64{{0, 1}, {stripe - 1, 2}, {stripe, stripe}, {2*stripe - 1, stripe + 2}, {int64(len(data)) - 5, 5}, {3, int64(len(data)) - 3}} {
			var got bytes.Buffer
			if _, err := c.Client(2).GetRange(ctx, p, r[0], r[1], &got); err != nil {
				t.Fatalf("range %v: %v", r, err)
			}
			if !bytes.Equal(got.Bytes(), data[r[0]:r[0]+r[1]]) {
				t.Fatalf("range %v: wrong bytes", r)
			}
		}
	})

	t.Run("any two nodes killed", func(t *testing.T) {
		for a := 0; a < c.Len(); a++ {
			for b := a + 1; b < c.Len(); b++ {
				t.Run(fmt.Sprintf("kill %d,%d", a, b), func(t *testing.T) {
					for _, i := range []int{a, b} {
						if err := c.Kill(i); err != nil {
							t.Fatal(err)
						}
					}
					reader := firstAlive(c, a, b)
					mustGet(t, ctx, c.Client(reader), p, data)
					for _, i := range []int{a, b} {
						if err := c.Restart(ctx, i); err != nil {
							t.Fatal(err)
						}
					}
					if err := c.WaitReady(ctx); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	})
}

func TestIntegrationScopes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	admin := c.Client(0) // node 0 is of member m1
	if _, err := admin.CreateCatalog(ctx, api.Catalog{Name: "private", Scope: "member"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateCatalog(ctx, api.Catalog{Name: "open", Scope: "public"}); err != nil {
		t.Fatal(err)
	}
	secret, public := randomBytes(stripe+7), randomBytes(300)
	pPriv := put(t, ctx, admin, "private", secret)
	pPub := put(t, ctx, admin, "open", public)

	// A reader of member m2, asking a node of m2 (node 1) and a node of m1 (node 0).
	m2admin := mustAddMemberAdmin(t, ctx, c, 1)
	tok, err := m2admin.AddUser(ctx, api.User{ID: "m2-reader", Member: "m2", Roles: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		_, err := c.ClientWithToken(i, tok.Secret).Get(ctx, pPriv, &bytes.Buffer{})
		if !errs.Is(err, errs.NotExist) { // not Permission: that would say it exists (leaks_integration_test.go)
			t.Fatalf("m2 reader via node %d read a member-scoped object of m1: err = %v", i, err)
		}
	}
	// m1's admin asking only a node of m2: m2 holds no wrapped key, so that node cannot
	// decrypt; it says wrong_node (and the client with more endpoints moves on: see
	// TestIntegrationReadThroughAnotherMembersNodeFirst).
	only1, err := api.NewClient([]string{c.Endpoint(1)}, c.Token, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err = only1.Get(ctx, pPriv, &bytes.Buffer{}); !errs.Is(err, errs.WrongNode) {
		t.Fatalf("node of m2 decrypted an object outside its member's scope: err = %v", err)
	}
	// Anonymous: public works from any node, private does not.
	mustGet(t, ctx, c.ClientWithToken(2, ""), pPub, public)
	if _, err := c.ClientWithToken(2, "").Get(ctx, pPriv, &bytes.Buffer{}); !errs.Is(err, errs.NotExist) {
		t.Fatalf("anonymous read of a private object: err = %v", err)
	}
	mustGet(t, ctx, c.Client(3), pPriv, secret) // node 3 is of m1

	// Widening the scope re-wraps the data key of existing objects for the new reader member.
	scope := "members:m2"
	if _, err := admin.UpdateCatalog(ctx, "private", api.CatalogUpdate{Scope: &scope}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "m2 to read the older object after the scope widened", func() bool {
		var got bytes.Buffer
		_, err := c.ClientWithToken(1, tok.Secret).Get(ctx, pPriv, &got)
		return err == nil && bytes.Equal(got.Bytes(), secret)
	})
}

// mustAddMemberAdmin returns a client of node i authenticated as a new admin of node i's
// member, created by the federation admin.
func mustAddMemberAdmin(t *testing.T, ctx context.Context, c *Cluster, i int) *api.Client {
	t.Helper()
	m := MemberOf(i, c.opts.Members)
	tok := c.MemberTokens[m]
	if tok == "" {
		t.Fatalf("no admin token for member %s", m)
	}
	return c.ClientWithToken(i, tok)
}

func TestIntegrationRestartWholeCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	objs := map[string][]byte{}
	for i, via := range []int{0, 3, 0} { // nodes of m1, the admin's member
		d := randomBytes(i*stripe + 1000)
		objs[put(t, ctx, c.Client(via), "default", d)] = d
	}
	// A node of another member cannot sign for the admin: it answers wrong_node (421), and a
	// client that knows only that node reports it; a client that knows every node moves on to
	// one of the admin's member and the publish succeeds.
	only1, err := api.NewClient([]string{c.Endpoint(1)}, c.Token, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := only1.Put(ctx, "default", "x", bytes.NewReader([]byte("x")), 1); !errs.Is(err, errs.WrongNode) {
		t.Fatalf("publish through a node of another member: err = %v, want wrong_node", err)
	}
	x := []byte("published after failing over from a node of another member")
	objs[put(t, ctx, c.Client(1), "default", x)] = x
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < c.Len(); i++ {
		if err := c.Restart(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for p, d := range objs {
		mustGet(t, ctx, c.Client(4), p, d)
	}
}

// TestIntegrationPartition: a minority cut off from the majority cannot commit; the majority
// keeps publishing (degraded: the cut-off nodes cannot take shards) and serving; after healing,
// the minority serves what the majority published.
func TestIntegrationPartition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	before := randomBytes(2*stripe + 5)
	p0 := put(t, ctx, c.Client(0), "default", before)

	c.Partition([]int{1, 2}, []int{0, 3, 4})
	minority, _ := api.NewClient([]string{c.Endpoint(1)}, c.MemberTokens["m2"], c.TLS())
	short, stop := context.WithTimeout(ctx, 3*time.Second)
	_, err := minority.CreateCatalog(short, api.Catalog{Name: "lost", Scope: "member"})
	stop()
	if err == nil {
		t.Fatal("the minority side committed a catalog")
	}
	after := randomBytes(stripe + 9)
	var p1 string
	waitUntil(t, ctx, "the majority to publish", func() bool {
		obj, err := c.Client(0).Put(ctx, "default", "after.bin", bytes.NewReader(after), int64(len(after)))
		if err != nil {
			t.Logf("publish during partition: %v", err)
			return false
		}
		p1 = obj.PID
		return true
	})
	mustGet(t, ctx, c.Client(3), p0, before)

	c.Heal()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the healed minority to serve the new object", func() bool {
		var got bytes.Buffer
		_, err := c.ClientWithToken(2, c.Token).Get(ctx, p1, &got)
		return err == nil && bytes.Equal(got.Bytes(), after)
	})
	if _, err := c.Client(1).Catalog(ctx, "lost"); !errs.Is(err, errs.NotExist) {
		t.Fatalf("catalog proposed by the minority exists after healing: %v", err)
	}
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}
