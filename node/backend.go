package node

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

var _ api.Backend = (*Node)(nil)

// Authenticate implements api.Backend. Tokens are checked against their hashes in the local
// replica, so any node of the federation authenticates any user. Until the replica has
// caught up after a start (catchup.go) every request, anonymous ones included, is answered
// NotCaughtUp: a stale replica would call a new token unknown, or grant what was revoked.
// Later, a token is checked only while the replica is known to be current (fresh.go).
func (n *Node) Authenticate(ctx context.Context, token string) (api.Subject, error) {
	if err := n.catchingUp(); err != nil {
		return api.Subject{Anonymous: true}, err
	}
	if token == "" {
		return api.Subject{Anonymous: true}, nil
	}
	if err := n.stale(); err != nil {
		return api.Subject{Anonymous: true}, err
	}
	s, err := n.state.Authenticate(catalog.TokenHash([]byte(token)))
	if err != nil {
		return api.Subject{Anonymous: true}, err
	}
	return toAPISubject(s), nil
}

func (n *Node) authorizeRead(sub api.Subject, cat string) error {
	return n.state.Authorize(toPolicySubject(sub), policy.Read, cat)
}

// authorizeFresh is authorizeRead for action a, repeated after a linearizable read when the
// local replica refuses (a grant or catalog may not have reached it yet).
func (n *Node) authorizeFresh(ctx context.Context, sub api.Subject, a policy.Action, cat string) error {
	return n.checkFresh(ctx, func() error { return n.state.Authorize(toPolicySubject(sub), a, cat) })
}

// propose stamps, encodes and commits a catalog command under the subject's name and returns
// once it is applied on this node too, so a read right after sees it.
func (n *Node) propose(ctx context.Context, actor string, body catalog.Body) (catalog.AuditEntry, error) {
	var entry catalog.AuditEntry
	if err := n.mayActFor(actor); err != nil {
		return entry, err
	}
	cmd, err := catalog.NewCommand(actor, body)
	if err != nil {
		return entry, err
	}
	cmd.Time = n.now().UnixNano()
	b, err := cmd.Encode()
	if err != nil {
		return entry, err
	}
	if err := n.checkFresh(ctx, func() error { return n.state.Check(b) }); err != nil {
		return entry, err // refuse early what apply would refuse
	}
	out, err := n.raft.Propose(ctx, b)
	if err != nil {
		return entry, err
	}
	if err := json.Unmarshal(out, &entry); err != nil {
		return entry, errs.E("node.propose", errs.Internal, err)
	}
	return entry, n.waitApplied(ctx, entry.Index)
}

// waitApplied waits until the local replica has applied index.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	if err := n.raft.WaitApplied(ctx, index); err != nil {
		return errs.E("node.waitApplied", errs.KindOf(err), err)
	}
	return nil
}

func actorOf(sub api.Subject) string { return sub.User }

// checkFresh runs a check against the local replica; when it fails, the replica may just be
// behind, so the check is repeated once after a linearizable read.
func (n *Node) checkFresh(ctx context.Context, check func() error) error {
	err := check()
	if err == nil || errs.Is(err, errs.Unauthenticated) {
		return err // an anonymous or unknown caller gets no read barrier (no log write per request)
	}
	if rerr := n.raft.LinearizableRead(ctx); rerr != nil {
		return err
	}
	return check()
}

// Object implements api.Backend: a local read, since a PID never changes once committed.
func (n *Node) Object(ctx context.Context, sub api.Subject, p string) (*api.Object, error) {
	o, err := n.readable(ctx, sub, p)
	if err != nil {
		return nil, err
	}
	lctx, cancel := layoutBudget(ctx)
	defer cancel()
	return n.toAPIObjectCtx(lctx, o)
}

// resolve looks a PID up in the local replica. A PID is immutable once committed, so a hit
// needs no round trip; a miss may be a publish this replica has not applied yet, so it is
// retried once after a linearizable read.
func (n *Node) resolve(ctx context.Context, p string) (*catalog.Object, error) {
	c, err := pid.Parse(p)
	if err != nil {
		return nil, err
	}
	o, err := n.state.Resolve(c)
	if err == nil || !errs.Is(err, errs.NotExist) {
		return o, err
	}
	if rerr := n.raft.LinearizableRead(ctx); rerr != nil {
		return nil, err
	}
	return n.state.Resolve(c)
}

// ListObjects implements api.Backend with a linearizable read: a listing must not miss an
// object whose publish was already acknowledged.
func (n *Node) ListObjects(ctx context.Context, sub api.Subject, cat, cursor string, limit int) (*api.ObjectPage, error) {
	if err := n.seeCatalog(ctx, sub, cat); err != nil {
		return nil, err
	}
	if err := n.raft.LinearizableRead(ctx); err != nil {
		return nil, err
	}
	page, err := n.state.List(cat, cursor, limit)
	if err != nil {
		return nil, err
	}
	return n.toAPIPage(ctx, page.CutBytes(n.pageRecordBytes()))
}

// Search implements api.Backend.
func (n *Node) Search(ctx context.Context, sub api.Subject, q api.Query) (*api.ObjectPage, error) {
	if err := n.raft.LinearizableRead(ctx); err != nil {
		return nil, err
	}
	if q.Catalog != "" {
		if err := n.seeCatalogLocal(sub, q.Catalog); err != nil {
			return nil, err // the replica is fresh: a linearizable read just ran
		}
	}
	page, err := n.state.Search(toPolicySubject(sub), catalog.Query{
		Catalog: q.Catalog, Name: q.Name, Meta: q.Meta, From: q.From, To: q.To, BBox: q.BBox, Cursor: q.Cursor, Limit: q.Limit,
		Prefix: q.Prefix,
	})
	if err != nil {
		return nil, err
	}
	return n.toAPIPage(ctx, page.CutBytes(n.pageRecordBytes()))
}

// toAPIPage converts a page; one layoutBudget covers the whole page.
func (n *Node) toAPIPage(ctx context.Context, p catalog.Page) (*api.ObjectPage, error) {
	lctx, cancel := layoutBudget(ctx)
	defer cancel()
	out := &api.ObjectPage{Objects: make([]api.Object, 0, len(p.Objects)), Next: p.Next}
	for _, o := range p.Objects {
		a, err := n.toAPIObjectCtx(lctx, o)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, *a)
	}
	return out, nil
}

// maxProvenanceDepth is the most generations of ancestors Provenance follows; a deeper
// request is capped to it (the HTTP API caps ?depth= at the same value). It bounds the work
// one request can cause, and real derivation chains are far shorter.
const maxProvenanceDepth = 64

// Provenance implements api.Backend: the object and its ancestors through derived_from,
// breadth first, up to depth generations: 0 is the object alone, 1 adds its inputs, and
// so on. A negative depth is Invalid. An ancestor reached twice is listed once; one the
// caller may not read (or that this federation does not hold) is left out.
func (n *Node) Provenance(ctx context.Context, sub api.Subject, p string, depth int) ([]api.Object, error) {
	if depth < 0 {
		return nil, errs.Errorf("node.Provenance", errs.Invalid,
			"depth %d: give 0 for the object alone, or up to %d generations of ancestors", depth, maxProvenanceDepth)
	}
	depth = min(depth, maxProvenanceDepth)
	lctx, cancel := layoutBudget(ctx) // one budget for the whole walk
	defer cancel()
	seen := map[string]bool{}
	var out []api.Object
	level := []string{p}
	for d := 0; d <= depth && len(level) > 0; d++ {
		var next []string
		for _, q := range level {
			if seen[q] {
				continue
			}
			seen[q] = true
			o, err := n.provenanceObject(ctx, lctx, sub, q)
			if err != nil {
				if d == 0 {
					return nil, err
				}
				continue // an ancestor the caller may not read, or from elsewhere: skip it
			}
			out = append(out, *o)
			next = append(next, o.Record.DerivedFrom...)
		}
		level = next
	}
	return out, nil
}

// provenanceObject is Object with the layout filled within lctx, the walk's shared budget.
func (n *Node) provenanceObject(ctx, lctx context.Context, sub api.Subject, p string) (*api.Object, error) {
	o, err := n.readable(ctx, sub, p)
	if err != nil {
		return nil, err
	}
	return n.toAPIObjectCtx(lctx, o)
}

// newSecret returns a random 256-bit secret, URL-safe base64.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errs.E("node.newSecret", errs.Internal, err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func rolesOf(rs []string) (policy.Roles, error) {
	return policy.ParseRoles(strings.Join(rs, ","))
}
