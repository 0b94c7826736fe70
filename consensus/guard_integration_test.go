//go:build integration

package consensus

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// testGuard refuses commands on key "forbidden", stamps the values it lets through, and
// refuses adding any peer in deny.
type testGuard struct{ deny map[peer.ID]bool }

func (g testGuard) Proposal(_ peer.ID, cmd []byte) ([]byte, error) {
	var c kvCmd
	if err := json.Unmarshal(cmd, &c); err != nil {
		return nil, err
	}
	if c.Key == "forbidden" {
		return nil, errors.New("key forbidden is off limits")
	}
	c.Val += "+stamped"
	return json.Marshal(c)
}

func (g testGuard) Membership(_, target peer.ID, change Change) error {
	if change != ChangeRemove && g.deny[target] {
		return fmt.Errorf("peer %s is not registered", target)
	}
	return nil
}

func TestIntegrationGuardVetsEachForwardedCommand(t *testing.T) {
	g := testGuard{deny: map[peer.ID]bool{}}
	c := newCluster(t, 3, 0, func(cfg *Config) { cfg.Guard = g })
	ctx := c.ctx(60 * time.Second)
	l := c.leader(ctx)
	f := (l + 1) % 3

	var wg sync.WaitGroup
	errsSeen := make([]error, 64)
	for i := range errsSeen {
		wg.Go(func() {
			key := fmt.Sprint("k", i)
			if i%4 == 0 {
				key = "forbidden"
			}
			_, errsSeen[i] = c.nodes[f].node.Propose(ctx, putCmd(key, "v"))
		})
	}
	wg.Wait()
	for i, err := range errsSeen {
		if i%4 == 0 {
			if !errs.Is(err, errs.Permission) || IsRejected(err) {
				t.Errorf("forbidden command %d: %v, want Permission", i, err)
			}
		} else if err != nil {
			t.Errorf("allowed command %d: %v", i, err)
		}
	}
	if err := c.nodes[f].node.LinearizableRead(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.nodes[f].fsm.get("k1"); got != "v+stamped" {
		t.Fatalf("k1 = %q, want the guard's rewrite", got)
	}
	if got := c.nodes[f].fsm.get("forbidden"); got != "" {
		t.Fatalf("a refused command was applied: %q", got)
	}

	stranger := c.nodes[l].id // any ID will do; the guard refuses it before raft sees it
	g.deny[stranger] = true
	if err := c.nodes[f].node.AddNonvoter(ctx, peer.AddrInfo{ID: stranger}); !errs.Is(err, errs.Permission) {
		t.Fatalf("forwarded AddNonvoter of a denied peer: %v, want Permission", err)
	}
}
