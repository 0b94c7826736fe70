//go:build integration

package testnet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationJoinBringsMemberKey: the second and third nodes of member m1 join with no
// copy of the member key (each made its own at init). The join must bring m1's key from the
// inviting node of m1, so every node holds the same member.agekey and a read through the
// third node decrypts (before the fix: a new member key and 403 on every read). Taking the
// delivery out of the redeem (memberKeyFor returning nothing) fails the cluster's start at the
// join with "member key mismatch".
func TestIntegrationJoinBringsMemberKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 3, Members: 1, StripeSize: stripe, JoinMemberKey: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	want, err := os.ReadFile(filepath.Join(c.cfgs[0].DataDir, node.MemberKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < c.Len(); i++ {
		got, err := os.ReadFile(filepath.Join(c.cfgs[i].DataDir, node.MemberKeyFile))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("node %d holds another member key than node 0 (%v)", i, err)
		}
	}
	data := randomBytes(3*stripe + 5)
	p := put(t, ctx, c.Client(0), "default", data)
	if err := getEqual(ctx, onlyClient(t, c, 2, c.Token), p, data); err != nil {
		t.Fatalf("read through the joined node: %v", err)
	}
}
