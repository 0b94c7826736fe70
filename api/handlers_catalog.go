package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

func (s *server) createCatalog(w http.ResponseWriter, r *http.Request, sub Subject) error {
	var c Catalog
	if err := s.readJSON(w, r, &c); err != nil {
		return err
	}
	out, err := s.b.CreateCatalog(r.Context(), sub, c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/catalogs/"+url.PathEscape(out.Name))
	return writeJSON(w, http.StatusCreated, out)
}

func (s *server) listCatalogs(w http.ResponseWriter, r *http.Request, sub Subject) error {
	cs, err := s.b.Catalogs(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, catalogsBody{Catalogs: nonNil(cs)})
}

func (s *server) getCatalog(w http.ResponseWriter, r *http.Request, sub Subject) error {
	c, err := s.b.Catalog(r.Context(), sub, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *server) updateCatalog(w http.ResponseWriter, r *http.Request, sub Subject) error {
	var u CatalogUpdate
	if err := s.readJSON(w, r, &u); err != nil {
		return err
	}
	if u.Scope == nil && u.Grants == nil && u.Placement == nil {
		return errs.Errorf("api.updateCatalog", errs.Invalid, "nothing to change: give scope, grants or placement")
	}
	c, err := s.b.UpdateCatalog(r.Context(), sub, r.PathValue("name"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// pageLimit reads ?limit (default 100, at most 1000).
func pageLimit(r *http.Request) (int, error) {
	n, err := intParam(r, "limit", defaultPageLimit)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		n = defaultPageLimit
	}
	return int(min(n, maxPageLimit)), nil
}

func (s *server) listObjects(w http.ResponseWriter, r *http.Request, sub Subject) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	list := func(limit int) (*ObjectPage, error) {
		return s.b.ListObjects(r.Context(), sub, r.PathValue("name"), r.URL.Query().Get("cursor"), limit)
	}
	p, err := list(limit)
	if err == nil {
		p, err = s.fitPage(p, list)
	}
	if err != nil {
		return err
	}
	return writePage(w, p)
}

func writePage(w http.ResponseWriter, p *ObjectPage) error {
	if p == nil {
		p = &ObjectPage{}
	}
	p.Objects = nonNil(p.Objects)
	return writeJSON(w, http.StatusOK, p)
}

// search answers GET /v1/search?catalog=&name=&meta=k=v&meta=k2=v2&from=&to=&bbox=&cursor=&limit=.
func (s *server) search(w http.ResponseWriter, r *http.Request, sub Subject) error {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if q.Limit, err = pageLimit(r); err != nil {
		return err
	}
	find := func(limit int) (*ObjectPage, error) {
		q.Limit = limit
		return s.b.Search(r.Context(), sub, q)
	}
	p, err := find(q.Limit)
	if err == nil {
		p, err = s.fitPage(p, find)
	}
	if err != nil {
		return err
	}
	return writePage(w, p)
}

// parseQuery reads a search from query parameters (the inverse of Query.values).
func parseQuery(v url.Values) (Query, error) {
	q := Query{
		Catalog: v.Get("catalog"), Name: v.Get("name"), From: v.Get("from"), To: v.Get("to"),
		BBox: v.Get("bbox"), Cursor: v.Get("cursor"), Prefix: v.Get("prefix"),
	}
	for _, kv := range v["meta"] {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return Query{}, errs.Errorf("api.search", errs.Invalid, "meta=%q must be key=value", kv)
		}
		if q.Meta == nil {
			q.Meta = map[string]string{}
		}
		q.Meta[k] = val
	}
	return q, nil
}

// values is the query string of q (Limit included when set).
func (q Query) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("catalog", q.Catalog)
	set("name", q.Name)
	set("prefix", q.Prefix)
	set("from", q.From)
	set("to", q.To)
	set("bbox", q.BBox)
	set("cursor", q.Cursor)
	for k, val := range q.Meta {
		v.Add("meta", k+"="+val)
	}
	if q.Limit > 0 {
		v.Set("limit", itoa(int64(q.Limit)))
	}
	return v
}
