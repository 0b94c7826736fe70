package node

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/policy"
)

func toPolicySubject(s api.Subject) policy.Subject {
	if s.Anonymous || s.User == "" {
		return policy.Anon
	}
	roles, _ := policy.ParseRoles(strings.Join(s.Roles, ",")) // roles came from Authenticate
	return policy.Subject{Member: s.Member, User: s.User, Roles: roles}
}

func toAPISubject(s policy.Subject) api.Subject {
	if s.Anonymous || s.User == "" {
		return api.Subject{Anonymous: true}
	}
	var roles []string
	if s.Roles != 0 {
		roles = strings.Split(s.Roles.String(), ",")
	}
	return api.Subject{Member: s.Member, User: s.User, Roles: roles}
}

// layoutWait is how long filling Stripes, K and M may add to one answer (an object, a
// page, a provenance walk) when manifests must be fetched from other nodes. Manifests are
// small, immutable and cached, so after the first read of an object this costs nothing.
const layoutWait = 250 * time.Millisecond

// layoutBudget returns ctx bounded by layoutWait.
func layoutBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, layoutWait)
}

// toAPIObject is toAPIObjectCtx within its own layout budget (for callers with no request
// context: publish answers and events).
func (n *Node) toAPIObject(o *catalog.Object) (*api.Object, error) {
	base := n.bgCtx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := layoutBudget(base)
	defer cancel()
	return n.toAPIObjectCtx(ctx, o)
}

// toAPIObjectCtx converts o. Stripes, K and M come from the object's manifest: from the
// cache, else fetched while ctx lasts. When the manifest cannot be had in time (its
// holders momentarily unreachable, or the budget spent) they stay zero, which the JSON
// omits: the answer is not delayed further nor failed for a detail of the storage layout.
func (n *Node) toAPIObjectCtx(ctx context.Context, o *catalog.Object) (*api.Object, error) {
	rec, err := pid.Decode(o.Record)
	if err != nil {
		return nil, errs.E("node.toAPIObject", errs.Corrupt, err)
	}
	out := &api.Object{
		PID:          pid.Format(o.PID),
		Record:       toAPIRecord(rec),
		ManifestCID:  o.Manifest.String(),
		PublishIndex: o.Index,
		Published:    time.Unix(0, o.Time).UTC(),
	}
	if m := layoutOf(ctx, o, n.manifests, n.manifest); m != nil {
		out.Stripes, out.K, out.M = len(m.Stripes), m.K, m.M
	}
	return out, nil
}

// layoutOf returns o's manifest from cache, or from fetch while ctx lasts, or nil. A
// manifest that does not describe o's content is not used (Verify reports such damage).
func layoutOf(ctx context.Context, o *catalog.Object, cache *lru.Cache[cid.Cid, *chunker.Manifest],
	fetch func(context.Context, cid.Cid) (*chunker.Manifest, error)) *chunker.Manifest {
	if !o.Manifest.Defined() {
		return nil
	}
	m, ok := (*chunker.Manifest)(nil), false
	if cache != nil {
		m, ok = cache.Get(o.Manifest)
	}
	if !ok {
		if ctx.Err() != nil {
			return nil // budget spent on earlier objects
		}
		var err error
		if m, err = fetch(ctx, o.Manifest); err != nil {
			return nil
		}
	}
	if m == nil || !m.Content.Equals(o.Content) || m.Size != o.Size {
		return nil
	}
	return m
}

func toAPIRecord(r *pid.Record) api.Record {
	out := api.Record{
		V: int(r.V), Content: r.Content.String(), SHA256: hex.EncodeToString(r.SHA256), Size: r.Size,
		Type: r.Type, Name: r.Name, Catalog: r.Catalog, Created: r.Created,
		Publisher: api.Publisher{Member: r.Publisher.Member, User: r.Publisher.User, Key: base64.StdEncoding.EncodeToString(r.Publisher.Key)},
		Sig:       base64.StdEncoding.EncodeToString(r.Sig),
	}
	if len(r.Meta) > 0 {
		out.Meta = make(map[string]string, len(r.Meta))
		for k, v := range r.Meta {
			out.Meta[k] = fmt.Sprint(v)
		}
	}
	for _, d := range r.DerivedFrom {
		out.DerivedFrom = append(out.DerivedFrom, pid.Format(d))
	}
	if r.Activity != nil {
		out.Activity = &api.Activity{Name: r.Activity.Name, Software: r.Activity.Software, Params: r.Activity.Params}
	}
	return out
}

func toAPICatalog(c catalog.Catalog) api.Catalog {
	out := api.Catalog{Name: c.Name, Owner: c.Owner, Scope: c.Scope.String(), Objects: c.Objects, Placement: api.Placement(c.Placement)}
	for _, g := range c.Grants {
		out.Grants = append(out.Grants, api.Grant{Member: g.Member, User: g.User, Action: g.Action.String()})
	}
	return out
}

func fromAPIGrants(gs []api.Grant) ([]policy.Grant, error) {
	var out []policy.Grant
	for _, g := range gs {
		a, err := policy.ParseAction(g.Action)
		if err != nil {
			return nil, err
		}
		out = append(out, policy.Grant{Action: a, Member: g.Member, User: g.User})
	}
	return out, nil
}

func toPlacementPolicy(p catalog.Placement) placement.Policy {
	return placement.Policy(p)
}

func toAPIAudit(e catalog.AuditEntry) api.AuditEntry {
	return api.AuditEntry{Index: e.Index, Time: time.Unix(0, e.Time).UTC(), Actor: e.Actor, Kind: string(e.Kind), Digest: e.Digest.String(), Chain: e.Hash.String()}
}

func toAPIUser(u catalog.User) api.User {
	out := api.User{ID: u.ID, Member: u.Member}
	if u.Roles != 0 {
		out.Roles = strings.Split(u.Roles.String(), ",")
	}
	for _, t := range u.Tokens {
		out.Tokens = append(out.Tokens, t.ID())
	}
	return out
}
