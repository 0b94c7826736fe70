package api

import (
	"fmt"
	"html/template"
	"net/http"
	"path"
	"sort"
)

// landingTmpl is the HTML landing page of a PID. html/template escapes every value by context,
// so record fields (all publisher-controlled) cannot inject markup or script.
var landingTmpl = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Meridian PID</title>
<link rel="cite-as" href="{{.URL}}">
<link rel="describedby" type="application/json" href="{{.URL}}?format=json">
<link rel="describedby" type="application/ld+json" href="{{.URL}}?format=prov">
<link rel="describedby" type="application/vnd.datacite.datacite+json" href="{{.URL}}?format=datacite">
<link rel="item" type="{{.Type}}" href="{{.ContentURL}}">
<style>
body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}
th{text-align:left;padding-right:1rem;vertical-align:top;white-space:nowrap}
code{word-break:break-all}
.cite{background:#f4f4f4;padding:.75rem;border-left:3px solid #888}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p><a href="{{.ContentURL}}" download="{{.FileName}}">Download</a> ({{.Size}}, {{.Type}})</p>
<table>
<tr><th>PID</th><td><code>pid:{{.PID}}</code></td></tr>
<tr><th>Catalog</th><td>{{.Catalog}}</td></tr>
<tr><th>Publisher</th><td>{{.Publisher}}</td></tr>
<tr><th>Created</th><td>{{.Created}}</td></tr>
<tr><th>Published</th><td>{{.Published}}</td></tr>
<tr><th>Content CID</th><td><code>{{.ContentCID}}</code></td></tr>
<tr><th>SHA-256</th><td><code>{{.SHA256}}</code></td></tr>
{{range .Meta}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>
{{end}}</table>
{{if .Activity}}<h2>Activity</h2>
<p>{{.Activity.Name}}{{if .Activity.Software}} using {{.Activity.Software}}{{end}}</p>
{{if .ActivityParams}}<table>{{range .ActivityParams}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>{{end}}</table>{{end}}
{{end}}{{if .DerivedFrom}}<h2>Derived from</h2>
<ul>{{range .DerivedFrom}}<li><a href="{{.V}}">pid:{{.K}}</a></li>{{end}}</ul>
{{end}}<h2>Cite</h2>
<p class="cite">{{.Citation}}</p>
<h2>Metadata</h2>
<ul>
<li><a href="{{.URL}}?format=json">JSON record</a></li>
<li><a href="{{.URL}}?format=prov">W3C PROV (JSON-LD)</a></li>
<li><a href="{{.URL}}?format=datacite">DataCite JSON</a></li>
</ul>
</body>
</html>
`))

type kv struct{ K, V string }

type landingData struct {
	Title, PID, URL, ContentURL, FileName, Size, Type, Catalog, Publisher string
	Created, Published, ContentCID, SHA256, Citation                      string
	Meta, ActivityParams, DerivedFrom                                     []kv
	Activity                                                              *Activity
}

func writeLanding(w http.ResponseWriter, base string, o *Object) error {
	rec := o.Record
	u := pidURL(base, o.PID)
	d := landingData{
		Title: title(o), PID: o.PID, URL: u, ContentURL: u + "/content", FileName: o.PID,
		Size: humanSize(rec.Size), Type: mediaType(rec.Type), Catalog: rec.Catalog,
		Publisher: publisherName(rec.Publisher), Created: rec.Created,
		Published:  o.Published.UTC().Format("2006-01-02 15:04:05 UTC"),
		ContentCID: rec.Content, SHA256: rec.SHA256, Citation: citation(base, o),
		Meta: sortedPairs(rec.Meta), Activity: rec.Activity,
	}
	if b := path.Base(rec.Name); rec.Name != "" && b != "/" && b != "." {
		d.FileName = b
	}
	if rec.Activity != nil {
		d.ActivityParams = sortedPairs(rec.Activity.Params)
	}
	for _, p := range rec.DerivedFrom {
		d.DerivedFrom = append(d.DerivedFrom, kv{p, pidURL(base, p)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return landingTmpl.Execute(w, d)
}

// title is the record's "title" metadata, else its name, else its PID.
func title(o *Object) string {
	for _, t := range []string{o.Record.Meta["title"], o.Record.Name, "pid:" + o.PID} {
		if t != "" {
			return t
		}
	}
	return ""
}

func publisherName(p Publisher) string {
	if p.User != "" {
		return p.User + " (" + p.Member + ")"
	}
	return p.Member
}

// citation follows DataCite's recommended form: Creator (Year). Title. Publisher. Identifier.
func citation(base string, o *Object) string {
	return fmt.Sprintf("%s (%s). %s. %s, Meridian federation. %s",
		o.Record.Publisher.Member, publicationYear(o), title(o), o.Record.Catalog, pidURL(base, o.PID))
}

func sortedPairs(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].K < out[j].K })
	return out
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}
