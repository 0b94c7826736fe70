// Package testnet starts a whole Meridian federation on loopback — in this process for
// integration tests, or as separate processes for `meridian testnet up` — and can kill,
// restart and partition its nodes.
package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// Options shape a test federation.
type Options struct {
	Dir        string // parent of the nodes' data dirs
	Nodes      int    // default 5
	Members    int    // default 3 (nodes are dealt to members round-robin)
	K, M       int    // default placement; 0: chosen from members and nodes
	StripeSize int    // 0: the node default
	Logger     *slog.Logger
	Tune       func(*node.Config) // optional: adjust each node's config before it is created
	// PlainHTTP runs the nodes' APIs without TLS (--insecure-plain-http), only to measure
	// what TLS costs; every test runs with TLS.
	PlainHTTP bool
	// JoinMemberKey leaves the member key out of a member's second and later nodes' data
	// dirs, so the join itself must bring it (node/memberkey.go); by default the testnet
	// copies it, as an operator would.
	JoinMemberKey bool
}

// Regions of the test members, one country each so jurisdiction tests have something to do.
var regions = []string{"TW", "JP", "FR", "US", "DE", "AU", "BR", "IN"}

// Cluster is a running in-process federation.
type Cluster struct {
	opts  Options
	Token string // the first admin's token
	// MemberTokens holds the first admin token of each member created by a join.
	MemberTokens map[string]string

	mu    sync.Mutex
	cfgs  []node.Config
	nodes []*node.Node // nil while killed; guarded by mu
	ids   []peer.ID    // peer IDs by node index; guarded by mu
}

// MemberOf returns the member id of node i.
func MemberOf(i, members int) string { return fmt.Sprintf("m%d", i%members+1) }

func (o *Options) defaults() error {
	if o.Nodes == 0 {
		o.Nodes = 5
	}
	if o.Members == 0 {
		o.Members = min(3, o.Nodes)
	}
	if o.Members > len(regions) || o.Members > o.Nodes {
		return errs.Errorf("testnet", errs.Invalid, "members must be between 1 and min(nodes, %d)", len(regions))
	}
	if o.K == 0 {
		o.K, o.M = DefaultKM(o.Nodes, o.Members)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// DefaultKM picks k+m for a test federation: m = 2 when there are 5 or more nodes (any two
// nodes may fail), and k fills the remaining nodes up to k+m = nodes, at most 3+2.
func DefaultKM(nodes, members int) (int, int) {
	switch {
	case nodes >= 5:
		return 3, 2
	case nodes >= 3:
		return nodes - 1, 1
	default:
		return 1, nodes - 1
	}
}

// Start creates and starts a federation: node 0 bootstraps it, the others join with invites
// it issues, and a "default" catalog of federation scope is created.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, MemberTokens: map[string]string{}}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	// Every port at once: ports released between nodes could be handed out again, and
	// libp2p's SO_REUSEPORT would then let two nodes share one ("dial to self").
	ports, err := FreePorts(2 * opts.Nodes)
	if err != nil {
		return nil, err
	}
	for i := 0; i < opts.Nodes; i++ {
		cfg, err := c.nodeConfig(i, ports[2*i:2*i+2])
		if err != nil {
			return nil, err
		}
		c.cfgs = append(c.cfgs, cfg)
		c.nodes = append(c.nodes, nil)
		c.ids = append(c.ids, "")
	}
	for _, i := range joinOrder(opts.Nodes, opts.Members) {
		if err := c.create(ctx, i); err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		return nil, err
	}
	if _, err := c.Client(0).CreateCatalog(ctx, api.Catalog{Name: "default", Scope: "federation"}); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

func (c *Cluster) nodeConfig(i int, ports []int) (node.Config, error) {
	cfg := node.DefaultConfig(filepath.Join(c.opts.Dir, fmt.Sprintf("node%d", i)))
	cfg.Member = MemberOf(i, c.opts.Members)
	cfg.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ports[0])}
	cfg.APIAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	if c.opts.StripeSize > 0 {
		cfg.StripeSize = c.opts.StripeSize
	}
	cfg.Logger = c.opts.Logger.With("node", i)
	cfg.InsecurePlainHTTP = c.opts.PlainHTTP
	if c.opts.Tune != nil {
		c.opts.Tune(&cfg)
	}
	return cfg, nil
}

// create initialises node i and bootstraps or joins the federation with it.
func (c *Cluster) create(ctx context.Context, i int) error {
	cfg := c.cfgs[i]
	if first := firstOfMember(i, c.opts.Members); first != i && !c.opts.JoinMemberKey {
		if err := copyMemberKey(c.cfgs[first].DataDir, cfg.DataDir); err != nil {
			return err
		}
	}
	id, err := node.Init(cfg)
	if err != nil {
		return err
	}
	region := regions[i%c.opts.Members]
	var n *node.Node
	if i == 0 {
		spec := node.FederationSpec{Name: "testnet", Region: region, K: c.opts.K, M: c.opts.M}
		var err error
		if n, c.Token, err = node.InitFederation(ctx, cfg, spec); err != nil {
			return err
		}
	} else {
		voter, err := c.prepareJoin(ctx, i, id.String())
		if err != nil {
			return err
		}
		inv, err := node.IssueInvite(c.cfgs[inviterOf(i, c.opts.Members)].DataDir, cfg.Member, voter, time.Hour)
		if err != nil {
			return err
		}
		iv, err := node.DecodeInvite(inv)
		if err != nil {
			return err
		}
		var tok string
		if n, tok, err = node.Join(ctx, cfg, iv, node.JoinSpec{Region: region}); err != nil {
			return err
		}
		if tok != "" {
			c.MemberTokens[cfg.Member] = tok
		}
	}
	c.mu.Lock()
	c.nodes[i] = n
	c.ids[i] = n.PeerID()
	c.mu.Unlock()
	return nil
}

func firstOfMember(i, members int) int { return i % members }

// inviterOf returns the node that invites node i: a node of its own member when the member
// has one already (only a member's own nodes may add nodes to it), else node 0.
func inviterOf(i, members int) int {
	if f := firstOfMember(i, members); f != i {
		return f
	}
	return 0
}

func copyMemberKey(from, to string) error {
	b, err := os.ReadFile(filepath.Join(from, node.MemberKeyFile))
	if err != nil {
		return errs.E("testnet.copyMemberKey", errs.NotExist, err)
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return errs.E("testnet.copyMemberKey", errs.Unavailable, err)
	}
	return os.WriteFile(filepath.Join(to, node.MemberKeyFile), b, 0o600)
}

// Len returns the number of nodes.
func (c *Cluster) Len() int { return len(c.cfgs) }

// Node returns node i, or nil while it is killed.
func (c *Cluster) Node(i int) *node.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Endpoint returns node i's API address (host:port; clients take it as https, see TLS).
func (c *Cluster) Endpoint(i int) string { return c.cfgs[i].APIAddr }

// Client returns an API client of node i (then the others, for failover) with the admin token.
func (c *Cluster) Client(i int) *api.Client { return c.ClientWithToken(i, c.Token) }

// ClientWithToken is Client with another token ("" for anonymous).
func (c *Cluster) ClientWithToken(i int, token string) *api.Client {
	eps := []string{c.URL(i)}
	for j := range c.cfgs {
		if j != i {
			eps = append(eps, c.URL(j))
		}
	}
	cl, err := api.NewClient(eps, token, c.TLS())
	if err != nil {
		panic(err) // endpoints and pins we made: cannot fail
	}
	return cl
}

// WaitReady waits until every running node reports ready and is connected to every other
// running node, so a publish right after it places every shard.
func (c *Cluster) WaitReady(ctx context.Context) error {
	running := 0
	for i := range c.cfgs {
		if c.Node(i) != nil {
			running++
		}
	}
	for i := range c.cfgs {
		n := c.Node(i)
		if n == nil {
			continue
		}
		err := waitFor(ctx, func() error {
			if err := n.Ready(ctx); err != nil {
				return err
			}
			st, err := n.Status(ctx, api.Subject{Anonymous: true})
			if err != nil {
				return err
			}
			if st.Peers < running-1 {
				return fmt.Errorf("connected to %d of %d other nodes", st.Peers, running-1)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("node %d not ready: %w", i, err)
		}
	}
	return nil
}

// Close stops every node.
func (c *Cluster) Close() error {
	var all []error
	for i := range c.nodes {
		all = append(all, c.Kill(i))
	}
	return errors.Join(all...)
}

// AddNode creates one more node (of member MemberOf(index)) that joins the running
// federation, and returns its index.
func (c *Cluster) AddNode(ctx context.Context) (int, error) {
	i := len(c.cfgs)
	ports, err := FreePorts(2) // the running nodes hold theirs
	if err != nil {
		return 0, err
	}
	cfg, err := c.nodeConfig(i, ports)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.cfgs = append(c.cfgs, cfg)
	c.nodes = append(c.nodes, nil)
	c.ids = append(c.ids, "")
	c.mu.Unlock()
	if err := c.create(ctx, i); err != nil {
		return i, err
	}
	return i, c.WaitReady(ctx)
}
