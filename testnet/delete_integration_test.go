//go:build integration

package testnet

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/p2p/shardproto"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/placement"
)

// TestIntegrationRemoteDeleteOfADesignatedShardIsRefused: over real libp2p, a registered node
// asks the node placement puts a shard on to delete it, and asks for the delete of a block no
// object references; both are refused with a permission error and both blocks stay. A drain
// still completes: the draining node's deletes are allowed once its copies are elsewhere.
func TestIntegrationRemoteDeleteOfADesignatedShardIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 6, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(5*stripe + 1)
	p := put(t, ctx, c.Client(0), "default", data)
	const drained = 2 // drained below through node 5, of the same member
	m := manifestOf(t, ctx, c, p)
	holder, shard := designatedShard(t, c, m, c.Node(drained).PeerID())
	attacker := 0
	if c.Node(attacker).PeerID() == holder {
		attacker = 1
	}
	id, _ := pid.Parse(p)
	waitUntil(t, ctx, "the holder's catalog replica to know the object", func() bool {
		_, err := c.Node(indexOf(t, c, holder)).State().Resolve(id)
		return err == nil
	})
	cl := shardproto.NewClient(c.Node(attacker).Host(), shardproto.Limits{})
	if err := cl.DeleteShard(ctx, holder, shard); !errs.Is(err, errs.Permission) {
		t.Fatalf("delete of a shard on its designated holder: err = %v, want permission_denied", err)
	}
	orphan := []byte("a block no object references")
	h, _ := mh.Sum(orphan, mh.SHA2_256, -1)
	oc := cid.NewCidV1(cid.Raw, h)
	if err := cl.PutShard(ctx, holder, oc, orphan); err != nil {
		t.Fatal(err)
	}
	if err := cl.DeleteShard(ctx, holder, oc); !errs.Is(err, errs.Permission) {
		t.Fatalf("remote delete of an unreferenced block: err = %v, want permission_denied", err)
	}
	if has, err := cl.HasShards(ctx, holder, []cid.Cid{shard, oc}); err != nil || !has[0] || !has[1] {
		t.Fatalf("after the refused deletes the holder has %v (%v), want both blocks", has, err)
	}
	checkRefusals(t, ctx, c, holder)

	victim := c.Node(drained).PeerID().String()
	admin := c.ClientWithToken(5, c.MemberTokens[MemberOf(drained, 3)])
	if _, err := admin.SetNodeState(ctx, victim, "draining"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the drained node to mark itself gone", func() bool {
		nd, err := c.Node(0).State().Node(victim)
		return err == nil && nd.State.String() == "gone"
	})
	v, err := c.Client(0).Verify(ctx, p, false)
	if err != nil || fullStripes(v.Stripes) != len(v.Stripes) {
		t.Fatalf("after drain: %v, stripes %+v", err, v)
	}
	// The drain changes the membership, hence where placement puts shards: the holder may
	// legitimately have handed the shard on by now, so only full redundancy is checked.
	if err := c.Kill(drained); err != nil {
		t.Fatal(err)
	}
	mustGet(t, ctx, c.Client(3), p, data)
}

// manifestOf fetches and decodes the manifest of the object p from any node holding it.
func manifestOf(t *testing.T, ctx context.Context, c *Cluster, p string) *chunker.Manifest {
	t.Helper()
	id, err := pid.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Node(0).State().Resolve(id)
	if err != nil {
		t.Fatal(err)
	}
	cl := shardproto.NewClient(c.Node(0).Host(), shardproto.Limits{})
	for i := 1; i < c.Len(); i++ {
		b, err := cl.GetShard(ctx, c.Node(i).PeerID(), o.Manifest, 0, 0)
		if err != nil {
			continue
		}
		m, err := chunker.DecodeManifest(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Fatal("no node but the publisher serves the manifest")
	return nil
}

// designatedShard returns a shard of m's first stripe and the node placement puts it on,
// avoiding node avoid.
func designatedShard(t *testing.T, c *Cluster, m *chunker.Manifest, avoid peer.ID) (peer.ID, cid.Cid) {
	t.Helper()
	st := c.Node(0).State()
	cat, err := st.Catalog("default")
	if err != nil {
		t.Fatal(err)
	}
	nodes := st.PlacementNodes()
	for i := range nodes {
		if nodes[i].FreeBytes <= 0 {
			nodes[i].FreeBytes = math.MaxInt64 // no declared capacity, as the node plans it
		}
	}
	s := &m.Stripes[0]
	holders, err := placement.Place(s.PlacementKey(), nodes, placement.Policy(cat.Placement))
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range holders {
		if h != avoid.String() {
			id, err := peer.Decode(h)
			if err != nil {
				t.Fatal(err)
			}
			return id, s.Shards[i]
		}
	}
	t.Fatal("every holder is the node to avoid")
	return "", cid.Undef
}

// checkRefusals reads holder's /metrics and wants a designated and an unreferenced refusal.
func checkRefusals(t *testing.T, ctx context.Context, c *Cluster, holder peer.ID) {
	t.Helper()
	{
		i := indexOf(t, c, holder)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(i)+"/metrics", nil)
		resp, err := c.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, want := range []string{`meridian_delete_refused_total{reason="designated"} 1`, `meridian_delete_refused_total{reason="unreferenced"} 1`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("holder's /metrics lacks %s; has %q", want, grepLines(string(b), "delete_refused"))
			}
		}
	}
}

// indexOf returns the cluster index of the node with peer ID id.
func indexOf(t *testing.T, c *Cluster, id peer.ID) int {
	t.Helper()
	for i := range c.Len() {
		if n := c.Node(i); n != nil && n.PeerID() == id {
			return i
		}
	}
	t.Fatalf("%s is not a running node of the cluster", id)
	return -1
}

func grepLines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
