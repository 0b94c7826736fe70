package node

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
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

func (n *Node) toAPIObject(o *catalog.Object) (*api.Object, error) {
	rec, err := pid.Decode(o.Record)
	if err != nil {
		return nil, errs.E("node.toAPIObject", errs.Corrupt, err)
	}
	return &api.Object{
		PID:          pid.Format(o.PID),
		Record:       toAPIRecord(rec),
		ManifestCID:  o.Manifest.String(),
		PublishIndex: o.Index,
		Published:    time.Unix(0, o.Time).UTC(),
	}, nil
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
