package api

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// MetaHeader carries an upload's metadata as base64url (RFC 4648 §5, padding optional) of the
// JSON PublishRequest, so the body can be streamed straight into the encoder. The query string
// is the alternative for hand-written requests (curl): name, type, meta=k=v, derived_from,
// activity.name, activity.software, activity.param=k=v. A request uses one or the other.
const MetaHeader = "Meridian-Meta"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// upload answers PUT/POST /v1/catalogs/{name}/objects: metadata from the header or the query,
// content streamed from the body (never buffered whole), capped at MaxObjectSize.
func (s *server) upload(w http.ResponseWriter, r *http.Request, sub Subject) error {
	req, err := publishRequest(r)
	if err != nil {
		return err
	}
	if r.ContentLength > s.opts.MaxObjectSize {
		return &http.MaxBytesError{Limit: s.opts.MaxObjectSize}
	}
	slow := s.slowBody(w, r)
	body := &countingBody{r: http.MaxBytesReader(unwrap(w), slow, s.opts.MaxObjectSize)}
	obj, err := s.b.Publish(r.Context(), sub, req, body)
	if slow.cut {
		return s.slowError()
	}
	if err != nil {
		lingerOnError(w, r, body)
		return err
	}
	w.Header().Set("Location", "/v1/objects/"+obj.PID)
	return writeJSON(w, http.StatusCreated, obj)
}

// publishRequest reads the metadata of an upload without touching its body.
func publishRequest(r *http.Request) (PublishRequest, error) {
	const op = "api.upload"
	var req PublishRequest
	h := r.Header.Get(MetaHeader)
	if h != "" {
		if r.URL.RawQuery != "" {
			return req, errs.Errorf(op, errs.Invalid, "give metadata in the %s header or in the query string, not both", MetaHeader)
		}
		var err error
		if req, err = DecodeMetaHeader(h); err != nil {
			return req, err
		}
	} else {
		var err error
		if req, err = metaFromQuery(r.URL.Query()); err != nil {
			return req, err
		}
	}
	cat := r.PathValue("name")
	if req.Catalog != "" && req.Catalog != cat {
		return req, errs.Errorf(op, errs.Invalid, "metadata names catalog %q but the URL names %q", req.Catalog, cat)
	}
	req.Catalog = cat
	if err := checkMeta(req.Meta); err != nil {
		return req, err
	}
	if err := checkLimits(req); err != nil {
		return req, err
	}
	for i, p := range req.DerivedFrom {
		c, err := pid.Parse(p)
		if err != nil {
			return req, errs.Errorf(op, errs.Invalid, "derived_from: %v", err)
		}
		req.DerivedFrom[i] = c.String()
	}
	if req.Type == "" {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if _, _, err := mime.ParseMediaType(ct); err != nil {
				return req, errs.Errorf(op, errs.Invalid, "Content-Type %q: %v", ct, err)
			}
			req.Type = ct
		}
	}
	if r.ContentLength >= 0 {
		if req.Size > 0 && req.Size != r.ContentLength {
			return req, errs.Errorf(op, errs.Invalid, "metadata says %d bytes but Content-Length is %d", req.Size, r.ContentLength)
		}
		req.Size = r.ContentLength
	} else if req.Size == 0 {
		req.Size = -1
	}
	return req, nil
}

// checkMeta refuses malformed metadata (a bbox or datetime in the wrong form) before the body
// is read, so a user learns it without uploading the whole object first. The node checks the
// record again when it signs it.
func checkMeta(meta map[string]string) error {
	if len(meta) == 0 {
		return nil
	}
	m := make(map[string]any, len(meta))
	for k, v := range meta {
		m[k] = v
	}
	return pid.CheckMeta(m)
}

// EncodeMetaHeader is the value of MetaHeader for req.
func EncodeMetaHeader(req PublishRequest) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", errs.E("api.EncodeMetaHeader", errs.Invalid, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeMetaHeader reads a MetaHeader value; unknown JSON fields are refused.
func DecodeMetaHeader(v string) (PublishRequest, error) {
	const op = "api.DecodeMetaHeader"
	var req PublishRequest
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return req, errs.Errorf(op, errs.Invalid, "%s is not base64url: %v", MetaHeader, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, errs.Errorf(op, errs.Invalid, "%s is not a JSON publish request: %v", MetaHeader, err)
	}
	if dec.More() {
		return req, errs.Errorf(op, errs.Invalid, "%s holds more than one JSON value", MetaHeader)
	}
	return req, nil
}

// metaFromQuery reads upload metadata from a query string.
func metaFromQuery(v url.Values) (PublishRequest, error) {
	for k := range v {
		switch k {
		case "name", "type", "meta", "derived_from", "activity.name", "activity.software", "activity.param", "size":
		default:
			return PublishRequest{}, errs.Errorf("api.upload", errs.Invalid,
				"unknown query parameter %q; known: name, type, meta, derived_from, activity.name, activity.software, activity.param, size", k)
		}
	}
	req := PublishRequest{Name: v.Get("name"), Type: v.Get("type"), DerivedFrom: v["derived_from"]}
	var err error
	if req.Meta, err = pairs(v["meta"], "meta"); err != nil {
		return req, err
	}
	a := Activity{Name: v.Get("activity.name"), Software: v.Get("activity.software")}
	if a.Params, err = pairs(v["activity.param"], "activity.param"); err != nil {
		return req, err
	}
	if a.Name != "" || a.Software != "" || a.Params != nil {
		req.Activity = &a
	}
	if sz := v.Get("size"); sz != "" {
		if req.Size, err = strconv.ParseInt(sz, 10, 64); err != nil || req.Size < 0 {
			return req, errs.Errorf("api.upload", errs.Invalid, "size=%q must be a non-negative integer", sz)
		}
	}
	return req, nil
}

// pairs turns ["k=v", ...] into a map; nil when empty.
func pairs(kvs []string, what string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, errs.Errorf("api.upload", errs.Invalid, "%s=%q must be key=value", what, kv)
		}
		if _, dup := m[k]; dup {
			return nil, errs.Errorf("api.upload", errs.Invalid, "%s key %q given twice", what, k)
		}
		m[k] = v
	}
	return m, nil
}
