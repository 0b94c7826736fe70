package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/meridian-fed/meridian/errs"
)

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// readJSON decodes one JSON value of at most MaxJSON bytes into v; unknown fields are refused
// so that a typo (or a client newer than the node) is reported instead of ignored.
func (s *server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(unwrap(w), r.Body, s.opts.MaxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return errs.Errorf("api.readJSON", errs.Invalid, "the request needs a JSON body")
		}
		return errs.Errorf("api.readJSON", errs.Invalid, "bad JSON body: %v", err)
	}
	if dec.More() {
		return errs.Errorf("api.readJSON", errs.Invalid, "the body must hold one JSON value")
	}
	return nil
}

// intParam reads an optional non-negative integer query parameter.
func intParam(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Errorf("api", errs.Invalid, "query parameter %s=%q must be a non-negative integer", name, v)
	}
	return n, nil
}

func (s *server) addUser(w http.ResponseWriter, r *http.Request, sub Subject) error {
	var u User
	if err := s.readJSON(w, r, &u); err != nil {
		return err
	}
	t, err := s.b.AddUser(r.Context(), sub, u)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // the answer holds a secret
	return writeJSON(w, http.StatusCreated, t)
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request, sub Subject) error {
	us, err := s.b.Users(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, usersBody{Users: nonNil(us)})
}

func (s *server) addToken(w http.ResponseWriter, r *http.Request, sub Subject) error {
	t, err := s.b.AddToken(r.Context(), sub, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, t)
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, sub Subject) error {
	if err := s.b.RevokeToken(r.Context(), sub, r.PathValue("id"), r.PathValue("tid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) members(w http.ResponseWriter, r *http.Request, sub Subject) error {
	ms, err := s.b.Members(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, membersBody{Members: nonNil(ms)})
}

func (s *server) nodes(w http.ResponseWriter, r *http.Request, sub Subject) error {
	ns, err := s.b.Nodes(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nodesBody{Nodes: nonNil(ns)})
}

// nodeStateBody is the body of PATCH /v1/nodes/{peer}.
type nodeStateBody struct {
	State string `json:"state"` // active | draining | gone
}

func (s *server) setNodeState(w http.ResponseWriter, r *http.Request, sub Subject) error {
	var b nodeStateBody
	if err := s.readJSON(w, r, &b); err != nil {
		return err
	}
	if b.State != "active" && b.State != "draining" && b.State != "gone" {
		return errs.Errorf("api.setNodeState", errs.Invalid, "state %q: use active, draining or gone", b.State)
	}
	n, err := s.b.SetNodeState(r.Context(), sub, r.PathValue("peer"), b.State)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *server) scrub(w http.ResponseWriter, r *http.Request, sub Subject) error {
	rep, err := s.b.Scrub(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *server) status(w http.ResponseWriter, r *http.Request, sub Subject) error {
	if err := s.maySeeStatus(sub); err != nil {
		return err
	}
	st, err := s.b.Status(r.Context(), sub)
	if err != nil {
		return err
	}
	if sub.Anonymous {
		st = publicStatus(st)
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *server) audit(w http.ResponseWriter, r *http.Request, sub Subject) error {
	from, err := intParam(r, "from", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100)
	if err != nil {
		return err
	}
	p, err := s.b.AuditLog(r.Context(), sub, uint64(from), int(min(limit, 10000)))
	if err != nil {
		return err
	}
	if p == nil {
		p = &AuditPage{}
	}
	p.Entries = nonNil(p.Entries)
	return writeJSON(w, http.StatusOK, p)
}

// List bodies wrap arrays in an object so fields can be added later.
type (
	usersBody struct {
		Users []User `json:"users"`
	}
	membersBody struct {
		Members []Member `json:"members"`
	}
	nodesBody struct {
		Nodes []NodeInfo `json:"nodes"`
	}
	catalogsBody struct {
		Catalogs []Catalog `json:"catalogs"`
	}
	objectsBody struct {
		Objects []Object `json:"objects"`
	}
)

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
