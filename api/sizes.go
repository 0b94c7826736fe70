package api

import (
	"encoding/json"
	"net/http"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
)

// headerBytes is the size of r's request line and header fields as they were sent (about).
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// refuseHeaders answers 431 as JSON when r's header is over MaxHeaderBytes, and reports it.
func (s *server) refuseHeaders(w http.ResponseWriter, r *http.Request) bool {
	n := headerBytes(r)
	if n <= s.limits.MaxHeaderBytes {
		return false
	}
	s.writeError(w, r, &statusError{status: http.StatusRequestHeaderFieldsTooLarge,
		err: errs.Errorf("api.header", errs.Invalid,
			"the request's URL and headers take %d bytes, more than the limit of %d; send less metadata (see docs/api.md, Limits per caller)", n, s.limits.MaxHeaderBytes)})
	return true
}

// fitPage keeps a listing or search page within MaxPageBytes: when p's objects would take
// more, it asks the backend again (again) for only as many as fit, at least one, so the
// backend still makes the next cursor. Objects are immutable and listed in a stable order, so
// the shorter page holds the same first objects.
func (s *server) fitPage(p *ObjectPage, again func(limit int) (*ObjectPage, error)) (*ObjectPage, error) {
	if p == nil {
		return p, nil
	}
	total := 0
	for i := range p.Objects {
		total += jsonLen(&p.Objects[i]) + 1
		if total > s.limits.MaxPageBytes && i > 0 {
			return again(i)
		}
	}
	return p, nil
}

// jsonLen is the length of v's JSON encoding (0 if it has none).
func jsonLen(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// checkLimits applies the catalog's publication limits (metadata size, no control or
// bidirectional characters) to an upload's metadata before its body is read; the state
// machine applies them again to the record.
func checkLimits(req PublishRequest) error {
	var meta map[string]any
	if len(req.Meta) > 0 {
		meta = make(map[string]any, len(req.Meta))
		for k, v := range req.Meta {
			meta[k] = v
		}
	}
	var params map[string]string
	if a := req.Activity; a != nil {
		params = a.Params
		if err := catalog.CheckLabel("activity name", a.Name); err != nil {
			return err
		}
		if err := catalog.CheckLabel("activity software", a.Software); err != nil {
			return err
		}
	}
	return catalog.CheckPublishText(req.Name, meta, params)
}
