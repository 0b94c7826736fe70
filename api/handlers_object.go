package api

import (
	"net/http"
	"strconv"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// pathPID reads and canonicalises the {pid} path value, so that the backend only ever sees
// well-formed PIDs and headers never carry request text.
func pathPID(r *http.Request) (string, error) {
	c, err := pid.Parse(r.PathValue("pid"))
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

func (s *server) getObject(w http.ResponseWriter, r *http.Request, sub Subject) error {
	p, err := pathPID(r)
	if err != nil {
		return err
	}
	o, err := s.b.Object(r.Context(), sub, p)
	if err != nil {
		return err
	}
	setObjectCache(w, sub)
	return writeJSON(w, http.StatusOK, o)
}

// setObjectCache marks answers about immutable objects: public when the caller is anonymous
// (so anyone may read it), private otherwise.
func setObjectCache(w http.ResponseWriter, sub Subject) {
	if sub.Anonymous {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "private, max-age=3600")
	}
}

func (s *server) provenance(w http.ResponseWriter, r *http.Request, sub Subject) error {
	p, err := pathPID(r)
	if err != nil {
		return err
	}
	depth, err := intParam(r, "depth", 16)
	if err != nil {
		return err
	}
	objs, err := s.b.Provenance(r.Context(), sub, p, int(min(depth, maxProvenanceDepth)))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, objectsBody{Objects: nonNil(objs)})
}

// verify answers GET or POST /v1/objects/{pid}/verify[?content=true]; content re-reads and
// hashes the whole object, so it is off by default.
func (s *server) verify(w http.ResponseWriter, r *http.Request, sub Subject) error {
	p, err := pathPID(r)
	if err != nil {
		return err
	}
	content := false
	if v := r.URL.Query().Get("content"); v != "" {
		if content, err = strconv.ParseBool(v); err != nil {
			return errs.Errorf("api.verify", errs.Invalid, "content=%q must be true or false", v)
		}
	}
	v, err := s.b.Verify(r.Context(), sub, p, content)
	if err != nil {
		return err
	}
	for i, pr := range v.Problems {
		v.Problems[i] = publicText(pr)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, v)
}
