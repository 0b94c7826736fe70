package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		accept string
		want   string // "" means 406
	}{
		{"", TypeJSON},
		{"*/*", TypeJSON},
		{"garbage", TypeJSON}, // wholly malformed: ignored
		{"text/html", TypeHTML},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", TypeHTML},
		{"application/json", TypeJSON},
		{"application/ld+json", TypePROV},
		{`application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted,x"`, TypePROV},
		{"application/vnd.datacite.datacite+json", TypeDataCite},
		{"APPLICATION/VND.DATACITE.DATACITE+JSON", TypeDataCite},
		{"application/*", TypeJSON},
		{"text/*", TypeHTML},
		{"application/json;q=0.5, text/html;q=0.9", TypeHTML},
		{"application/json;q=0, */*", TypeHTML},
		{"*/*;q=0.1, application/ld+json;q=0.2", TypePROV},
		{"text/html;q=0.5, application/*;q=0.5", TypeJSON}, // tie: server order
		{"application/*;q=0, application/ld+json", TypePROV},
		{"image/png", ""},
		{"text/plain, image/*", ""},
		{"*/*;q=0", ""},
		{"application/json;q=2, text/html", TypeHTML}, // bad q: element skipped
		{"application/json;q=0.0001, text/html;q=0.5", TypeHTML},
		{"text/html;level=1;q=0.3, application/json;q=0.2", TypeHTML},
		{"*/json", TypeJSON}, // invalid range skipped, header then empty
	}
	for _, c := range cases {
		got, ok := negotiate(c.accept, pidOffers)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("Accept %q: got %q, want %q", c.accept, got, c.want)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	got := splitQuoted(`a, "b,\"c", ,d;"e,`, ',')
	want := []string{"a", `"b,\"c"`, `d;"e,`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitQuoted = %q, want %q", got, want)
	}
}

func TestResolveRepresentations(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger(), BaseURL: "https://node.example.org/"})
	parent := publish(t, f, "open", "scene.tif", "raw", WithMeta("title", "Raw scene"))
	o := publish(t, f, "open", `<script>alert("x")</script>.tif`, "derived",
		WithDerivedFrom(parent.PID), WithMeta("bbox", "120.1,22.5,121.9,25.3"), WithMeta("description", "NDVI"),
		WithActivity(Activity{Name: "ndvi", Software: "gdal 3.8", Params: map[string]string{"band": "4"}}))
	u := "https://node.example.org/pid/" + o.PID

	for _, c := range []struct {
		accept, format, ctype string
		status                int
	}{
		{"text/html", "", "text/html; charset=utf-8", 200},
		{"application/json", "", TypeJSON, 200},
		{"application/ld+json", "", TypePROV, 200},
		{"application/vnd.datacite.datacite+json", "", TypeDataCite, 200},
		{"image/png", "", "application/json", 406},
		{"image/png", "prov", TypePROV, 200},
		{"", "datacite", TypeDataCite, 200},
		{"", "xml", "application/json", 400},
	} {
		target := "/pid/" + o.PID
		if c.format != "" {
			target += "?format=" + c.format
		}
		w := serve(t, h, "GET", target, nil, map[string]string{"Accept": c.accept})
		if w.Code != c.status || w.Header().Get("Content-Type") != c.ctype {
			t.Errorf("Accept %q format %q: %d %q, want %d %q", c.accept, c.format, w.Code, w.Header().Get("Content-Type"), c.status, c.ctype)
			continue
		}
		if c.status != 200 {
			continue
		}
		if c.format == "" && w.Header().Get("Vary") != "Accept" {
			t.Errorf("Accept %q: no Vary: Accept", c.accept)
		}
		link := w.Header().Get("Link")
		for _, want := range []string{
			"<" + u + `>; rel="cite-as"`,
			"<" + u + `?format=prov>; rel="describedby"; type="application/ld+json"`,
			"<" + u + `?format=datacite>; rel="describedby"; type="application/vnd.datacite.datacite+json"`,
			"<" + u + `/content>; rel="item"; type="text/plain"`,
		} {
			if !strings.Contains(link, want) {
				t.Errorf("Link %q lacks %q", link, want)
			}
		}
		checkRepresentation(t, c.ctype, w.Body.String(), o, parent, u)
	}
	if w := serve(t, h, "GET", "/pid/"+o.PID+"?format=json", nil, nil); w.Header().Get("Vary") != "" {
		t.Error("?format answers must not vary on Accept")
	}
}

func checkRepresentation(t *testing.T, ctype, body string, o, parent *Object, u string) {
	t.Helper()
	switch ctype {
	case "text/html; charset=utf-8":
		if strings.Contains(body, "<script>") {
			t.Error("landing page does not escape the record name")
		}
		for _, want := range []string{"&lt;script&gt;", "pid:" + o.PID, u + "/content", "/pid/" + parent.PID,
			"gdal 3.8", "NDVI", "aist (2026). &lt;script&gt;"} {
			if !strings.Contains(body, want) {
				t.Errorf("landing page lacks %q", want)
			}
		}
	case TypeJSON:
		var got Object
		if err := json.Unmarshal([]byte(body), &got); err != nil || got.PID != o.PID || got.Record.Content != o.Record.Content {
			t.Errorf("JSON record: %v %+v", err, got)
		}
	case TypePROV:
		checkPROV(t, body, o, parent, u)
	case TypeDataCite:
		checkDataCite(t, body, parent, u)
	}
}

func checkPROV(t *testing.T, body string, o, parent *Object, u string) {
	t.Helper()
	var doc struct {
		Context map[string]any   `json:"@context"`
		Graph   []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("PROV: %v", err)
	}
	if doc.Context["prov"] != "http://www.w3.org/ns/prov#" {
		t.Errorf("PROV context %v", doc.Context)
	}
	byID := map[string]map[string]any{}
	for _, n := range doc.Graph {
		byID[n["@id"].(string)] = n
	}
	ent, pu := byID[u], "https://node.example.org/pid/"+parent.PID
	if ent == nil || ent["@type"] != "prov:Entity" || byID[pu] == nil {
		t.Fatalf("PROV graph lacks the entity or its parent: %v", doc.Graph)
	}
	if d, _ := ent["wasDerivedFrom"].([]any); len(d) != 1 || d[0] != pu {
		t.Errorf("wasDerivedFrom = %v", ent["wasDerivedFrom"])
	}
	act := byID[u+"#activity"]
	if ent["wasGeneratedBy"] != u+"#activity" || act == nil || act["@type"] != "prov:Activity" {
		t.Errorf("wasGeneratedBy = %v, activity %v", ent["wasGeneratedBy"], act)
	}
	agent := byID[ent["wasAttributedTo"].(string)]
	if agent == nil || agent["@type"] != "prov:Person" || byID[agent["actedOnBehalfOf"].(string)]["@type"] != "prov:Organization" {
		t.Errorf("agents: %v", agent)
	}
	if byID["urn:meridian:software:gdal%203.8"] == nil {
		t.Error("software agent missing")
	}
}

func checkDataCite(t *testing.T, body string, parent *Object, u string) {
	t.Helper()
	var d struct {
		Identifiers        []struct{ Identifier, IdentifierType string }
		Creators           []struct{ Name, NameType string }
		Titles             []struct{ Title string }
		Publisher          string
		PublicationYear    string
		Types              map[string]string
		Sizes              []string
		Formats            []string
		RelatedIdentifiers []struct{ RelatedIdentifier, RelatedIdentifierType, RelationType string }
		GeoLocations       []struct{ GeoLocationBox map[string]float64 }
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("DataCite: %v", err)
	}
	ok := len(d.Identifiers) == 2 && d.Identifiers[0].Identifier == u && d.Creators[0].Name == "aist" &&
		d.Publisher == "aist" && d.PublicationYear == "2026" && d.Types["resourceTypeGeneral"] == "Dataset" &&
		d.Sizes[0] == "7 bytes" && d.Formats[0] == "text/plain" && len(d.RelatedIdentifiers) == 1 &&
		d.RelatedIdentifiers[0].RelationType == "IsDerivedFrom" &&
		d.RelatedIdentifiers[0].RelatedIdentifier == "https://node.example.org/pid/"+parent.PID &&
		len(d.GeoLocations) == 1 && d.GeoLocations[0].GeoLocationBox["northBoundLatitude"] == 25.3 &&
		strings.Contains(d.Titles[0].Title, "script")
	if !ok {
		t.Errorf("DataCite record incomplete: %s", body)
	}
}

func TestResolveErrors(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	o := publish(t, f, "closed", "x", "y")
	if w := serve(t, h, "GET", "/pid/"+o.PID, nil, nil); w.Code != http.StatusNotFound { // node/conceal.go
		t.Errorf("anonymous resolve of a private object: %d", w.Code)
	}
	w := serve(t, h, "GET", "/pid/"+o.PID, nil, map[string]string{"Authorization": "Bearer reader", "Accept": "text/html"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Cache-Control"), "private") {
		t.Errorf("authenticated resolve: %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	if !strings.Contains(w.Body.String(), "http://example.com/pid/"+o.PID) {
		t.Error("base URL not derived from the request")
	}
	if w := serve(t, h, "GET", "/pid/bafkqaaa", nil, nil); w.Code != 400 {
		t.Errorf("raw CID as PID: %d", w.Code)
	}
}

// TestResolveErrorsForBrowsers: a browser (text/html preferred, or ?format=html) whose PID
// request fails gets an HTML page with the status, code and an escaped message; tools, the
// content route and every /v1 route keep JSON errors.
func TestResolveErrorsForBrowsers(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	const unknown = "/pid/bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	for _, c := range []struct {
		path   string
		hdr    map[string]string
		html   bool
		status int
	}{
		{unknown, browser, true, 404},
		{unknown + "?format=html", nil, true, 404},
		{"/pid/<script>", browser, true, 400},
		{unknown, map[string]string{"Accept": "application/json"}, false, 404},
		{unknown, nil, false, 404},
		{unknown + "/content", browser, false, 404},
		{"/v1/objects/" + strings.TrimPrefix(unknown, "/pid/"), browser, false, 404},
	} {
		w := serve(t, h, "GET", c.path, nil, c.hdr)
		ct := w.Header().Get("Content-Type")
		if w.Code != c.status || strings.HasPrefix(ct, "text/html") != c.html {
			t.Errorf("GET %s %v: %d %q, want %d html=%v", c.path, c.hdr, w.Code, ct, c.status, c.html)
			continue
		}
		if c.html && (!strings.Contains(w.Body.String(), "<h1>") || strings.Contains(w.Body.String(), "<script>")) {
			t.Errorf("GET %s: HTML error page missing or not escaped: %s", c.path, w.Body.String())
		}
	}
}
