package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Representations of a PID at /pid/{pid}.
const (
	TypeJSON     = "application/json"
	TypeHTML     = "text/html"
	TypePROV     = "application/ld+json"
	TypeDataCite = "application/vnd.datacite.datacite+json"
)

// pidOffers is the server's preference order: JSON first so that tools sending "*/*" (curl,
// scripts) get data, while browsers, which list text/html above "*/*", get the landing page.
var pidOffers = []string{TypeJSON, TypeHTML, TypePROV, TypeDataCite}

// pidFormats are the ?format= names that select a representation without an Accept header,
// for links a browser follows.
var pidFormats = map[string]string{"json": TypeJSON, "html": TypeHTML, "prov": TypePROV, "datacite": TypeDataCite}

// provDepth is how many generations of ancestors the PROV representation includes.
const provDepth = 8

// resolve answers GET/HEAD /pid/{pid} with the representation the client asks for.
func (s *server) resolve(w http.ResponseWriter, r *http.Request, sub Subject) error {
	p, err := pathPID(r)
	if err != nil {
		return err
	}
	ct, err := pidRepresentation(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "" {
		w.Header().Set("Vary", "Accept")
	}
	o, err := s.b.Object(r.Context(), sub, p)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	w.Header().Set("Link", signposting(base, o))
	setObjectCache(w, sub)
	switch ct {
	case TypeHTML:
		return writeLanding(w, base, o)
	case TypePROV:
		objs, err := s.b.Provenance(r.Context(), sub, p, provDepth)
		if err != nil {
			return err
		}
		return writeTyped(w, TypePROV, provDocument(base, o, objs))
	case TypeDataCite:
		return writeTyped(w, TypeDataCite, dataCite(base, o))
	}
	return writeTyped(w, TypeJSON, o)
}

// pidRepresentation picks the media type from ?format= or the Accept header.
func pidRepresentation(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("format"); f != "" {
		ct, ok := pidFormats[f]
		if !ok {
			return "", errs.Errorf("api.resolve", errs.Invalid, "format=%q: use json, html, prov or datacite", f)
		}
		return ct, nil
	}
	ct, ok := negotiate(r.Header.Get("Accept"), pidOffers)
	if !ok {
		return "", &statusError{status: http.StatusNotAcceptable, err: errs.Errorf("api.resolve", errs.Invalid,
			"no representation matches Accept %q; a PID is available as %s", r.Header.Get("Accept"), strings.Join(pidOffers, ", "))}
	}
	return ct, nil
}

func writeTyped(w http.ResponseWriter, ct string, v any) error {
	w.Header().Set("Content-Type", ct)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// baseURL is Options.BaseURL, or the scheme and Host of the request.
func (s *server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pidURL is the resolver address of a PID under base.
func pidURL(base, p string) string { return base + "/pid/" + p }

// mediaType is the bare type/subtype of t, or application/octet-stream.
func mediaType(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return "application/octet-stream"
}

// signposting builds the Link header of FAIR Signposting (signposting.org): the persistent
// identifier (cite-as), each metadata representation (describedby) and the content (item).
func signposting(base string, o *Object) string {
	u := pidURL(base, o.PID)
	links := []string{
		"<" + u + `>; rel="cite-as"`,
		"<" + u + `?format=json>; rel="describedby"; type="` + TypeJSON + `"`,
		"<" + u + `?format=prov>; rel="describedby"; type="` + TypePROV + `"`,
		"<" + u + `?format=datacite>; rel="describedby"; type="` + TypeDataCite + `"`,
		"<" + u + `/content>; rel="item"; type="` + mediaType(o.Record.Type) + `"`,
	}
	return strings.Join(links, ", ")
}
