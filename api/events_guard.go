package api

import "context"

// streamGuard re-checks, while an event stream is open, what was checked when it opened: the
// token still authenticates (not revoked, and the node is fresh enough to know: Authenticate
// answers not_caught_up otherwise), and the subject it names may still read the catalog. A
// caller who may no longer read it hears what a caller asking for a missing catalog hears
// (the backend's Catalog conceals it).
type streamGuard struct {
	b       Backend
	token   string // "" for an anonymous stream
	catalog string
}

// check returns nil while the stream may go on, else the error that ends it.
func (g streamGuard) check(ctx context.Context) error {
	sub, err := g.b.Authenticate(ctx, g.token)
	if err != nil {
		return err
	}
	_, err = g.b.Catalog(ctx, sub, g.catalog)
	return err
}
