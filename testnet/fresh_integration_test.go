//go:build integration

package testnet

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// A revocation made through one node must hold on every node within the node's fresh bound,
// also on a node that cannot learn of it: one cut off from the leader, a leader cut off from
// its quorum, and one whose Raft log cannot append (full disk) while heartbeats still arrive.
// Each test serves a token through the victim, injects the fault, revokes the token through
// another node, and checks that the victim never serves it once the bound has passed since
// the revocation returned, answers not_caught_up (503) instead, reports not ready, and after
// the fault is lifted refuses the token as revoked (401) while it serves valid tokens again.
// Anonymous reads of a public catalog are served by the stale node throughout.

// revocationSlack is how long after the bound the test gives the refusal to be observed
// (polling every 20 ms and HTTP round trips on a loaded 2-core machine).
const revocationSlack = time.Second

func TestIntegrationRevocationHoldsOnPartitionedFollower(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := otherThan(c, leaderIndex(t, ctx, c))
	checkRevocationHolds(t, ctx, c, victim,
		func() { c.Partition([]int{victim}, othersOf(c, victim)) },
		func() { c.Heal() }, nil)
}

func TestIntegrationRevocationHoldsOnPartitionedLeader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := leaderIndex(t, ctx, c)
	checkRevocationHolds(t, ctx, c, victim,
		func() { c.Partition([]int{victim}, othersOf(c, victim)) },
		func() { c.Heal() }, nil)
}

func TestIntegrationRevocationHoldsOnFullRaftDisk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := otherThan(c, leaderIndex(t, ctx, c))
	checkRevocationHolds(t, ctx, c, victim,
		func() { c.FillRaftDisk(victim, true) },
		func() { c.FillRaftDisk(victim, false) },
		func() { // freshness is more than heartbeats arriving: the full node still hears them
			st, err := c.Node(victim).Status(ctx, api.Subject{})
			if err != nil || st.Leader == "" || st.Leader == c.peerID(victim).String() {
				t.Fatalf("the node with the full disk should still follow a leader: %+v, %v", st, err)
			}
		})
}

// checkRevocationHolds runs the scenario described at the top of the file.
// whileStale, if not nil, runs while the victim refuses.
func checkRevocationHolds(t *testing.T, ctx context.Context, c *Cluster, victim int, fault, lift, whileStale func()) {
	t.Helper()
	data := randomBytes(3000)
	p := put(t, ctx, c.Client(0), "default", data)
	if _, err := c.Client(0).CreateCatalog(ctx, api.Catalog{Name: "open", Scope: "public"}); err != nil {
		t.Fatal(err)
	}
	public := put(t, ctx, c.Client(0), "open", randomBytes(1000))
	anon := onlyClient(t, c, victim, "")
	if err := waitFor(ctx, func() error { _, err := anon.Object(ctx, public); return err }); err != nil {
		t.Fatalf("node %d never served the public object anonymously: %v", victim, err)
	}
	tok, err := c.Client(0).AddUser(ctx, api.User{ID: "reader", Roles: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	only := onlyClient(t, c, victim, tok.Secret)
	if err := waitFor(ctx, func() error { return getEqual(ctx, only, p, data) }); err != nil {
		t.Fatalf("the token was never served by node %d before the revocation: %v", victim, err)
	}
	other := adminNodeOtherThan(c, victim) // the admin's member: only its nodes sign for the admin
	if err := waitFor(ctx, func() error { return getEqual(ctx, onlyClient(t, c, other, tok.Secret), p, data) }); err != nil {
		t.Fatalf("node %d, which revokes, never knew the token: %v", other, err)
	}
	bound := c.Node(victim).FreshBound()
	if bound <= 0 {
		t.Fatalf("node %d has no fresh bound", victim)
	}

	fault()
	faulted := time.Now()
	if err := onlyClient(t, c, other, c.Token).RevokeToken(ctx, "reader", tok.ID); err != nil {
		t.Fatalf("revoke through node %d: %v", other, err)
	}
	revoked := time.Now()
	took := waitRefused(t, ctx, only, p, revoked, bound)
	t.Logf("node %d refused the revoked token %v after the revocation returned, %v after the fault (bound %v)",
		victim, took, time.Since(faulted), bound)
	if err := only.Ready(ctx); !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("/readyz of the stale node %d: %v, want not_caught_up", victim, err)
	}
	if _, err := anon.Object(ctx, public); err != nil {
		t.Fatalf("the stale node %d refused an anonymous read of a public object: %v", victim, err)
	}
	if whileStale != nil {
		whileStale()
	}

	lift()
	err = waitFor(ctx, func() error {
		if err := getEqual(ctx, only, p, data); !errs.Is(err, errs.Unauthenticated) {
			return fmt.Errorf("revoked token after the fault was lifted: %v, want unauthenticated", err)
		}
		if err := getEqual(ctx, onlyClient(t, c, victim, c.Token), p, data); err != nil {
			return fmt.Errorf("valid token after the fault was lifted: %w", err)
		}
		return only.Ready(ctx)
	})
	if err != nil {
		t.Fatalf("node %d after the fault was lifted: %v", victim, err)
	}
}

// waitRefused polls the victim with the revoked token (metadata reads: a partitioned node
// cannot fetch the shards it does not hold) until it answers not_caught_up and returns how
// long after the revocation that was. A success of a request begun after
// revoked+bound fails the test, and so does any other error, or no refusal by
// revoked+bound+revocationSlack.
func waitRefused(t *testing.T, ctx context.Context, only *api.Client, p string, revoked time.Time, bound time.Duration) time.Duration {
	t.Helper()
	deadline := revoked.Add(bound + revocationSlack)
	served := 0
	for {
		began := time.Now()
		_, err := only.Object(ctx, p)
		switch {
		case err == nil && began.After(revoked.Add(bound)):
			t.Fatalf("a revoked token was served %v after the revocation (bound %v, %d reads served before)", began.Sub(revoked), bound, served)
		case err == nil:
			served++
		case errs.Is(err, errs.NotCaughtUp):
			t.Logf("%d reads with the revoked token were served within the bound before the refusal: %v", served, err)
			return time.Since(revoked)
		default:
			t.Fatalf("revoked token on the stale node: %v (kind %v), want not_caught_up", err, errs.KindOf(err))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no not_caught_up %v after the revocation (bound %v)", time.Since(revoked), bound)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// getEqual reads p through cl and checks it is data.
func getEqual(ctx context.Context, cl *api.Client, p string, data []byte) error {
	var got bytes.Buffer
	if _, err := cl.Get(ctx, p, &got); err != nil {
		return err
	}
	if !bytes.Equal(got.Bytes(), data) {
		return backoffStop{fmt.Errorf("got %d bytes, not the %d published", got.Len(), len(data))}
	}
	return nil
}

// onlyClient is a client of node i alone (no failover), with token.
func onlyClient(t *testing.T, c *Cluster, i int, token string) *api.Client {
	t.Helper()
	cl, err := c.ClientWithToken(i, token).Only(c.Endpoint(i))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// leaderIndex waits until some running node is the Raft leader and returns its index.
func leaderIndex(t *testing.T, ctx context.Context, c *Cluster) int {
	t.Helper()
	leader := -1
	err := waitFor(ctx, func() error {
		for i := 0; i < c.Len(); i++ {
			n := c.Node(i)
			if n == nil {
				continue
			}
			st, err := n.Status(ctx, api.Subject{})
			if err == nil && st.Leader != "" && st.Leader == c.peerID(i).String() {
				leader = i
				return nil
			}
		}
		return fmt.Errorf("no leader yet")
	})
	if err != nil {
		t.Fatal(err)
	}
	return leader
}

// adminNodeOtherThan returns the first node of the first admin's member that is not i.
func adminNodeOtherThan(c *Cluster, i int) int {
	for j := 0; j < c.Len(); j++ {
		if j != i && MemberOf(j, c.opts.Members) == MemberOf(0, c.opts.Members) {
			return j
		}
	}
	return -1
}

// otherThan returns the first node index that is not i.
func otherThan(c *Cluster, i int) int {
	for j := 0; j < c.Len(); j++ {
		if j != i {
			return j
		}
	}
	return -1
}

// othersOf returns every node index but i.
func othersOf(c *Cluster, i int) []int {
	var out []int
	for j := 0; j < c.Len(); j++ {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}
