package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// PutOption sets metadata of an upload.
type PutOption func(*PublishRequest)

// WithType sets the media type of the content (default application/octet-stream).
func WithType(t string) PutOption { return func(r *PublishRequest) { r.Type = t } }

// WithMeta sets one free-form metadata field (e.g. "bbox", "datetime", "title").
func WithMeta(k, v string) PutOption {
	return func(r *PublishRequest) {
		if r.Meta == nil {
			r.Meta = map[string]string{}
		}
		r.Meta[k] = v
	}
}

// WithDerivedFrom records the PIDs the content was derived from.
func WithDerivedFrom(pids ...string) PutOption {
	return func(r *PublishRequest) { r.DerivedFrom = append(r.DerivedFrom, pids...) }
}

// WithActivity records how the content was produced.
func WithActivity(a Activity) PutOption { return func(r *PublishRequest) { r.Activity = &a } }

// Put publishes size bytes read from r (size -1: unknown, sent chunked) as object name in
// catalog and returns the object once it is committed. The body is streamed, never buffered.
// It is sent to another endpoint only if the first refused it before reading any byte (see
// Client.do); a failure after bytes went out is returned, because the object may exist.
func (c *Client) Put(ctx context.Context, catalog, name string, r io.Reader, size int64, opts ...PutOption) (*Object, error) {
	const op = "api.Put"
	req := PublishRequest{Name: name}
	for _, o := range opts {
		o(&req)
	}
	meta, err := EncodeMetaHeader(req)
	if err != nil {
		return nil, err
	}
	if size < 0 {
		size = -1
	}
	ct := req.Type
	if ct == "" {
		ct = "application/octet-stream"
	}
	if c.progress != nil {
		r = &progressReader{r: r, total: size, fn: c.progress}
	}
	rq := &request{
		method: http.MethodPut, path: "/v1/catalogs/" + url.PathEscape(catalog) + "/objects",
		header: http.Header{MetaHeader: {meta}, "Content-Type": {ct}},
		body:   r, size: size, expect: true,
		ifSent: fmt.Sprintf("check with 'meridian ls %s' whether %s was published before uploading it again", catalog, name),
	}
	var o Object
	if err := c.call(ctx, op, rq, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// canonicalPID accepts the forms pid.Parse reads ("pid:…", URLs) and returns the bare CID.
func canonicalPID(op, p string) (string, error) {
	c, err := pid.Parse(p)
	if err != nil {
		return "", errs.E(op, errs.Invalid, err)
	}
	return c.String(), nil
}

// Object returns the published object p.
func (c *Client) Object(ctx context.Context, p string) (*Object, error) {
	const op = "api.Object"
	p, err := canonicalPID(op, p)
	if err != nil {
		return nil, err
	}
	var o Object
	if err := c.get(ctx, op, "/v1/objects/"+p, nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Provenance returns p and its ancestors through derived_from, up to depth generations.
func (c *Client) Provenance(ctx context.Context, p string, depth int) ([]Object, error) {
	const op = "api.Provenance"
	p, err := canonicalPID(op, p)
	if err != nil {
		return nil, err
	}
	var out objectsBody
	q := url.Values{"depth": {strconv.Itoa(depth)}}
	if err := c.get(ctx, op, "/v1/objects/"+p+"/provenance", q, &out); err != nil {
		return nil, err
	}
	return out.Objects, nil
}

// Verify asks a node to check p (record hash, signature, audit entry, shards; with content,
// also the content CID of the bytes).
func (c *Client) Verify(ctx context.Context, p string, content bool) (*Verification, error) {
	const op = "api.Verify"
	p, err := canonicalPID(op, p)
	if err != nil {
		return nil, err
	}
	var v Verification
	q := url.Values{"content": {strconv.FormatBool(content)}}
	if err := c.get(ctx, op, "/v1/objects/"+p+"/verify", q, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// List returns one page of a catalog's objects; pass the page's Next as cursor for the next.
func (c *Client) List(ctx context.Context, catalog, cursor string, limit int) (*ObjectPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p ObjectPage
	if err := c.get(ctx, "api.List", "/v1/catalogs/"+url.PathEscape(catalog)+"/objects", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Search returns one page of the objects matching q that the caller may read.
func (c *Client) Search(ctx context.Context, q Query) (*ObjectPage, error) {
	var p ObjectPage
	if err := c.get(ctx, "api.Search", "/v1/search", q.values(), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// progressReader reports bytes read to a Progress.
type progressReader struct {
	r           io.Reader
	done, total int64
	fn          Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.fn(p.done, p.total)
	}
	return n, err
}
