package node

import (
	"context"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
	"github.com/meridian-fed/meridian/store"
)

// CreateCatalog implements api.Backend. A catalog without k and m takes them from the
// federation's default placement and keeps the other placement fields it was given.
func (n *Node) CreateCatalog(ctx context.Context, sub api.Subject, c api.Catalog) (*api.Catalog, error) {
	scope, err := policy.ParseScope(orDefault(c.Scope, "member"))
	if err != nil {
		return nil, err
	}
	grants, err := fromAPIGrants(c.Grants)
	if err != nil {
		return nil, err
	}
	owner := orDefault(c.Owner, sub.Member)
	body := &catalog.CreateCatalog{Name: c.Name, Owner: owner, Scope: scope, Grants: grants, Placement: catalog.Placement(c.Placement)}
	if _, err := n.propose(ctx, actorOf(sub), body); err != nil {
		return nil, err
	}
	return n.Catalog(ctx, sub, c.Name)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Catalogs implements api.Backend: the catalogs the subject may read.
func (n *Node) Catalogs(ctx context.Context, sub api.Subject) ([]api.Catalog, error) {
	if err := n.raft.LinearizableRead(ctx); err != nil {
		return nil, err
	}
	var out []api.Catalog
	for _, c := range n.state.Catalogs() {
		if n.authorizeRead(sub, c.Name) == nil {
			out = append(out, toAPICatalog(c))
		}
	}
	return out, nil
}

// Catalog implements api.Backend.
func (n *Node) Catalog(ctx context.Context, sub api.Subject, name string) (*api.Catalog, error) {
	if err := n.seeCatalog(ctx, sub, name); err != nil {
		return nil, err
	}
	c, err := n.state.Catalog(name)
	if err != nil {
		return nil, err
	}
	out := toAPICatalog(c)
	return &out, nil
}

// UpdateCatalog implements api.Backend: one command per changed part.
func (n *Node) UpdateCatalog(ctx context.Context, sub api.Subject, name string, u api.CatalogUpdate) (*api.Catalog, error) {
	if err := n.seeCatalog(ctx, sub, name); err != nil {
		return nil, err // an outsider learns nothing; a reader hears the real refusal below
	}
	actor := actorOf(sub)
	if u.Scope != nil {
		sc, err := policy.ParseScope(*u.Scope)
		if err != nil {
			return nil, err
		}
		if _, err := n.propose(ctx, actor, &catalog.SetScope{Catalog: name, Scope: sc}); err != nil {
			return nil, err
		}
	}
	if u.Grants != nil {
		gs, err := fromAPIGrants(*u.Grants)
		if err != nil {
			return nil, err
		}
		if _, err := n.propose(ctx, actor, &catalog.SetGrants{Catalog: name, Grants: gs}); err != nil {
			return nil, err
		}
	}
	if u.Placement != nil {
		if _, err := n.propose(ctx, actor, &catalog.SetPlacement{Catalog: name, Placement: catalog.Placement(*u.Placement)}); err != nil {
			return nil, err
		}
	}
	return n.Catalog(ctx, sub, name)
}

// AddUser implements api.Backend: the user and a first token, whose secret only the caller
// ever sees (the catalog keeps its hash).
func (n *Node) AddUser(ctx context.Context, sub api.Subject, u api.User) (*api.NewToken, error) {
	roles, err := rolesOf(u.Roles)
	if err != nil {
		return nil, err
	}
	body := &catalog.AddUser{User: catalog.User{ID: u.ID, Member: orDefault(u.Member, sub.Member), Roles: roles}}
	if _, err := n.propose(ctx, actorOf(sub), body); err != nil {
		return nil, err
	}
	return n.AddToken(ctx, sub, u.ID)
}

// AddToken implements api.Backend.
func (n *Node) AddToken(ctx context.Context, sub api.Subject, user string) (*api.NewToken, error) {
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	h := catalog.TokenHash([]byte(secret))
	if _, err := n.propose(ctx, actorOf(sub), &catalog.AddToken{User: user, Token: h}); err != nil {
		return nil, err
	}
	return &api.NewToken{User: user, ID: h.ID(), Secret: secret}, nil
}

// RevokeToken implements api.Backend; tokenID is the short id shown by Users.
func (n *Node) RevokeToken(ctx context.Context, sub api.Subject, user, tokenID string) error {
	u, err := n.state.User(user)
	if err != nil {
		return err
	}
	for _, h := range u.Tokens {
		if h.ID() == tokenID {
			_, err := n.propose(ctx, actorOf(sub), &catalog.RevokeToken{User: user, Token: h})
			return err
		}
	}
	return errs.Errorf("node.RevokeToken", errs.NotExist, "user %s has no token %s; list tokens with 'meridian user ls'", user, tokenID)
}

// Users implements api.Backend: an admin sees the users of their member.
func (n *Node) Users(ctx context.Context, sub api.Subject) ([]api.User, error) {
	ps := toPolicySubject(sub)
	if !ps.Roles.Allows(policy.Admin) {
		return nil, errs.Errorf("node.Users", errs.Permission, "listing users needs the admin role")
	}
	var out []api.User
	for _, u := range n.state.Users(sub.Member) {
		out = append(out, toAPIUser(u))
	}
	return out, nil
}

// Members implements api.Backend.
func (n *Node) Members(ctx context.Context, sub api.Subject) ([]api.Member, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("node.Members", errs.Unauthenticated, "listing members needs a token")
	}
	var out []api.Member
	for _, m := range n.state.Members() {
		out = append(out, api.Member{ID: m.ID, Name: m.Name, Region: m.Region, Recipient: m.Recipient})
	}
	return out, nil
}

// Nodes implements api.Backend.
func (n *Node) Nodes(ctx context.Context, sub api.Subject) ([]api.NodeInfo, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("node.Nodes", errs.Unauthenticated, "listing nodes needs a token")
	}
	var out []api.NodeInfo
	for _, nd := range n.state.Nodes() {
		out = append(out, n.nodeInfo(nd))
	}
	return out, nil
}

// nodeInfo is what this node knows about nd; see describeNode.
func (n *Node) nodeInfo(nd catalog.Node) api.NodeInfo {
	return describeNode(nd, nodeView{
		self: n.PeerID().String(),
		api:  n.apiURL(),
		usage: func() (store.Usage, error) {
			return n.store.Usage(context.Background())
		},
		connected: func(peerID string) bool {
			id, err := decodePeer(peerID)
			return err == nil && len(n.p2p.Host().Network().ConnsToPeer(id)) > 0
		},
	})
}

// nodeView is what a node can tell about the federation's nodes beyond the catalog.
type nodeView struct {
	self      string                      // this node's peer ID
	api       string                      // this node's API URL
	usage     func() (store.Usage, error) // this node's store
	connected func(peerID string) bool    // an open libp2p connection to peerID
}

// describeNode fills an api.NodeInfo: the catalog's registry entry (with the API URL and
// certificate pin the node registered, empty for a node registered before TLS), plus for
// this node its own API URL and its store's usage. For another node the registry carries no
// usage (only a declared capacity), so Used and Free stay empty rather than guessed;
// Connected says whether a connection is open.
func describeNode(nd catalog.Node, v nodeView) api.NodeInfo {
	info := api.NodeInfo{PeerID: nd.PeerID, Member: nd.Member, Addrs: nd.Addrs, Voter: nd.Voter, State: nd.State.String(),
		API: nd.API, TLSPin: nd.TLSPin}
	if nd.PeerID != v.self {
		info.Connected = v.connected(nd.PeerID)
		return info
	}
	info.Connected, info.API = true, v.api
	if u, err := v.usage(); err == nil {
		info.Used, info.Free = u.Used, u.Free
	}
	return info
}

// ownAPIAddr is the address the API listens on (the configured one, with the port the
// system chose for ":0"), or the configured one before the listener exists.
func (n *Node) ownAPIAddr() string {
	if a := n.APIAddr(); a != "" {
		return a
	}
	return n.cfg.APIAddr
}

// SetNodeState implements api.Backend: drain, re-activate or remove a node. An admin of the
// node's member (or the node itself) may do it; the catalog checks.
func (n *Node) SetNodeState(ctx context.Context, sub api.Subject, peerID, state string) (*api.NodeInfo, error) {
	var st catalog.NodeState
	switch state {
	case "active":
		st = catalog.NodeActive
	case "draining":
		st = catalog.NodeDraining
	case "gone":
		st = catalog.NodeGone
	default:
		return nil, errs.Errorf("node.SetNodeState", errs.Invalid, "state %q: use active, draining or gone", state)
	}
	if _, err := n.propose(ctx, actorOf(sub), &catalog.SetNodeState{PeerID: peerID, State: st}); err != nil {
		return nil, err
	}
	nd, err := n.state.Node(peerID)
	if err != nil {
		return nil, err
	}
	info := n.nodeInfo(nd)
	return &info, nil
}

// AuditLog implements api.Backend.
func (n *Node) AuditLog(ctx context.Context, sub api.Subject, from uint64, limit int) (*api.AuditPage, error) {
	if sub.Anonymous {
		return nil, errs.Errorf("node.AuditLog", errs.Unauthenticated, "the audit log needs a token")
	}
	entries, next := n.state.Audit(from, limit)
	out := &api.AuditPage{Next: next}
	for _, e := range entries {
		a := toAPIAudit(e)
		a.Detail = n.auditDetail(e)
		out.Entries = append(out.Entries, a)
	}
	return out, nil
}
