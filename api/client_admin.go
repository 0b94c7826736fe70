package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// CreateCatalog creates a catalog owned by the caller's member.
func (c *Client) CreateCatalog(ctx context.Context, cat Catalog) (*Catalog, error) {
	return sendJSON[Catalog](ctx, c, "api.CreateCatalog", http.MethodPost, "/v1/catalogs", cat)
}

// Catalogs lists the catalogs the caller may see.
func (c *Client) Catalogs(ctx context.Context) ([]Catalog, error) {
	var out catalogsBody
	err := c.get(ctx, "api.Catalogs", "/v1/catalogs", nil, &out)
	return out.Catalogs, err
}

// Catalog returns one catalog.
func (c *Client) Catalog(ctx context.Context, name string) (*Catalog, error) {
	var out Catalog
	if err := c.get(ctx, "api.Catalog", "/v1/catalogs/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateCatalog changes a catalog's scope, grants or placement (nil fields stay).
func (c *Client) UpdateCatalog(ctx context.Context, name string, u CatalogUpdate) (*Catalog, error) {
	return sendJSON[Catalog](ctx, c, "api.UpdateCatalog", http.MethodPatch, "/v1/catalogs/"+url.PathEscape(name), u)
}

// AddUser creates a user and returns its first token (shown once).
func (c *Client) AddUser(ctx context.Context, u User) (*NewToken, error) {
	return sendJSON[NewToken](ctx, c, "api.AddUser", http.MethodPost, "/v1/users", u)
}

// Users lists the users the caller may see.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out usersBody
	err := c.get(ctx, "api.Users", "/v1/users", nil, &out)
	return out.Users, err
}

// AddToken creates another token for user (shown once).
func (c *Client) AddToken(ctx context.Context, user string) (*NewToken, error) {
	var out NewToken
	rq := &request{method: http.MethodPost, path: "/v1/users/" + url.PathEscape(user) + "/tokens"}
	if err := c.call(ctx, "api.AddToken", rq, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeToken revokes one of user's tokens.
func (c *Client) RevokeToken(ctx context.Context, user, tokenID string) error {
	rq := &request{method: http.MethodDelete, path: "/v1/users/" + url.PathEscape(user) + "/tokens/" + url.PathEscape(tokenID)}
	return c.call(ctx, "api.RevokeToken", rq, nil)
}

// Members lists the federation's members.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var out membersBody
	err := c.get(ctx, "api.Members", "/v1/members", nil, &out)
	return out.Members, err
}

// Nodes lists the federation's nodes.
func (c *Client) Nodes(ctx context.Context) ([]NodeInfo, error) {
	var out nodesBody
	err := c.get(ctx, "api.Nodes", "/v1/nodes", nil, &out)
	return out.Nodes, err
}

// SetNodeState drains ("draining"), re-activates ("active") or removes ("gone") a node.
func (c *Client) SetNodeState(ctx context.Context, peerID, state string) (*NodeInfo, error) {
	return sendJSON[NodeInfo](ctx, c, "api.SetNodeState", http.MethodPatch, "/v1/nodes/"+url.PathEscape(peerID), nodeStateBody{State: state})
}

// Scrub asks the answering node to re-hash its whole store now (the first endpoint that
// answers: pass a single endpoint to pick the node).
func (c *Client) Scrub(ctx context.Context) (*ScrubReport, error) {
	return sendJSON[ScrubReport](ctx, c, "api.Scrub", http.MethodPost, "/v1/scrub", struct{}{})
}

// Status returns the answering node's view of the federation.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	if err := c.get(ctx, "api.Status", "/v1/status", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Audit returns up to limit audit entries from index from on.
func (c *Client) Audit(ctx context.Context, from uint64, limit int) (*AuditPage, error) {
	q := url.Values{"from": {strconv.FormatUint(from, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out AuditPage
	if err := c.get(ctx, "api.Audit", "/v1/audit", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Ready returns nil when a node answers /readyz with 200 (trying the endpoints in turn).
func (c *Client) Ready(ctx context.Context) error {
	return c.call(ctx, "api.Ready", &request{method: http.MethodGet, path: "/readyz"}, nil)
}

// sendJSON sends v as the JSON body of method path and decodes the answer as T.
func sendJSON[T any](ctx context.Context, c *Client, op, method, path string, v any) (*T, error) {
	rq, err := jsonRequest(method, path, v)
	if err != nil {
		return nil, err
	}
	var out T
	if err := c.call(ctx, op, rq, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
