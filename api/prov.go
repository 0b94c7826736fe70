package api

import (
	"net/url"
	"sort"
	"time"
)

// provContext maps the short names of the PROV document to PROV-O and Dublin Core terms, so
// any JSON-LD processor reads it as W3C PROV-O triples without fetching a remote context.
var provContext = map[string]any{
	"prov":              "http://www.w3.org/ns/prov#",
	"xsd":               "http://www.w3.org/2001/XMLSchema#",
	"dcterms":           "http://purl.org/dc/terms/",
	"rdfs":              "http://www.w3.org/2000/01/rdf-schema#",
	"label":             "rdfs:label",
	"wasDerivedFrom":    map[string]string{"@id": "prov:wasDerivedFrom", "@type": "@id"},
	"wasGeneratedBy":    map[string]string{"@id": "prov:wasGeneratedBy", "@type": "@id"},
	"wasAttributedTo":   map[string]string{"@id": "prov:wasAttributedTo", "@type": "@id"},
	"wasAssociatedWith": map[string]string{"@id": "prov:wasAssociatedWith", "@type": "@id"},
	"actedOnBehalfOf":   map[string]string{"@id": "prov:actedOnBehalfOf", "@type": "@id"},
	"used":              map[string]string{"@id": "prov:used", "@type": "@id"},
	"generatedAtTime":   map[string]string{"@id": "prov:generatedAtTime", "@type": "xsd:dateTime"},
}

// provDocument is the PROV-O graph (JSON-LD) of o and the ancestors in objs: one prov:Entity
// per object (wasDerivedFrom its parents, wasAttributedTo its publisher, wasGeneratedBy its
// activity), one prov:Activity per recorded activity and the agents (organisations for
// members, people for users, software agents).
func provDocument(base string, o *Object, objs []Object) map[string]any {
	seen := map[string]bool{}
	var entities, activities []any
	agents := map[string]map[string]any{}
	for _, x := range append([]Object{*o}, objs...) {
		if seen[x.PID] {
			continue
		}
		seen[x.PID] = true
		ent, act := provEntity(base, &x, agents)
		entities = append(entities, ent)
		if act != nil {
			activities = append(activities, act)
		}
	}
	ids := make([]string, 0, len(agents))
	for id := range agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	graph := append(entities, activities...)
	for _, id := range ids {
		graph = append(graph, agents[id])
	}
	return map[string]any{"@context": provContext, "@graph": graph}
}

// provEntity returns the entity of x and its activity (nil when none was recorded), adding
// the agents they name to agents.
func provEntity(base string, x *Object, agents map[string]map[string]any) (map[string]any, map[string]any) {
	rec := x.Record
	id := pidURL(base, x.PID)
	ent := map[string]any{
		"@id": id, "@type": "prov:Entity", "label": title(x),
		"dcterms:identifier": "pid:" + x.PID, "dcterms:format": mediaType(rec.Type),
		"dcterms:extent": rec.Size,
	}
	if !x.Published.IsZero() {
		ent["generatedAtTime"] = x.Published.UTC().Format(time.RFC3339)
	}
	var parents []string
	for _, p := range rec.DerivedFrom {
		parents = append(parents, pidURL(base, p))
	}
	if len(parents) > 0 {
		ent["wasDerivedFrom"] = parents
	}
	who := addPublisher(rec.Publisher, agents)
	if who != "" {
		ent["wasAttributedTo"] = who
	}
	if rec.Activity == nil {
		return ent, nil
	}
	act := map[string]any{"@id": id + "#activity", "@type": "prov:Activity", "label": rec.Activity.Name}
	ent["wasGeneratedBy"] = act["@id"]
	if len(parents) > 0 {
		act["used"] = parents
	}
	var with []string
	if who != "" {
		with = append(with, who)
	}
	if sw := rec.Activity.Software; sw != "" {
		sid := "urn:meridian:software:" + url.PathEscape(sw)
		agents[sid] = map[string]any{"@id": sid, "@type": "prov:SoftwareAgent", "label": sw}
		with = append(with, sid)
	}
	if len(with) > 0 {
		act["wasAssociatedWith"] = with
	}
	return ent, act
}

// addPublisher adds the member (and user) agents of p and returns the one to attribute to.
func addPublisher(p Publisher, agents map[string]map[string]any) string {
	if p.Member == "" {
		return ""
	}
	mid := "urn:meridian:member:" + url.PathEscape(p.Member)
	agents[mid] = map[string]any{"@id": mid, "@type": "prov:Organization", "label": p.Member}
	if p.User == "" {
		return mid
	}
	uid := "urn:meridian:user:" + url.PathEscape(p.Member) + ":" + url.PathEscape(p.User)
	agents[uid] = map[string]any{"@id": uid, "@type": "prov:Person", "label": p.User, "actedOnBehalfOf": mid}
	return uid
}
