package api

import (
	"math"
	"strconv"
	"strings"
)

// dataCite is the DataCite Metadata Schema 4.x record of o in DataCite's JSON form (the
// properties of api.datacite.org's application/vnd.datacite.datacite+json). A PID is not a
// DOI, so the identifier is the resolver URL (identifierType "URL") with the bare CID as an
// alternate; derived_from becomes relatedIdentifiers with relationType IsDerivedFrom.
func dataCite(base string, o *Object) map[string]any {
	rec := o.Record
	u := pidURL(base, o.PID)
	d := map[string]any{
		"id": u,
		"identifiers": []map[string]string{
			{"identifier": u, "identifierType": "URL"},
			{"identifier": o.PID, "identifierType": "CID"},
		},
		"url":             u,
		"contentUrl":      []string{u + "/content"},
		"creators":        creators(rec),
		"titles":          []map[string]string{{"title": title(o)}},
		"publisher":       rec.Publisher.Member,
		"publicationYear": publicationYear(o),
		"types": map[string]string{
			"resourceTypeGeneral": "Dataset",
			"resourceType":        mediaType(rec.Type),
		},
		"sizes":         []string{strconv.FormatInt(rec.Size, 10) + " bytes"},
		"formats":       []string{mediaType(rec.Type)},
		"schemaVersion": "http://datacite.org/schema/kernel-4",
	}
	var dates []map[string]string
	if rec.Created != "" {
		dates = append(dates, map[string]string{"date": rec.Created, "dateType": "Created"})
	}
	if !o.Published.IsZero() {
		dates = append(dates, map[string]string{"date": o.Published.UTC().Format("2006-01-02T15:04:05Z"), "dateType": "Issued"})
	}
	if dates != nil {
		d["dates"] = dates
	}
	if desc := rec.Meta["description"]; desc != "" {
		d["descriptions"] = []map[string]string{{"description": desc, "descriptionType": "Abstract"}}
	}
	if rel := relatedIdentifiers(base, rec); rel != nil {
		d["relatedIdentifiers"] = rel
	}
	if box, ok := geoBox(rec.Meta["bbox"]); ok {
		d["geoLocations"] = []map[string]any{{"geoLocationBox": box}}
	}
	return d
}

// creators is the "creator" metadata when given, else the publishing member as organisation.
func creators(rec Record) []map[string]string {
	if c := rec.Meta["creator"]; c != "" {
		return []map[string]string{{"name": c}}
	}
	return []map[string]string{{"name": rec.Publisher.Member, "nameType": "Organizational"}}
}

func relatedIdentifiers(base string, rec Record) []map[string]string {
	var out []map[string]string
	for _, p := range rec.DerivedFrom {
		out = append(out, map[string]string{
			"relatedIdentifier": pidURL(base, p), "relatedIdentifierType": "URL", "relationType": "IsDerivedFrom",
		})
	}
	return out
}

// publicationYear is the year of the commit, else of the claimed creation time.
func publicationYear(o *Object) string {
	if !o.Published.IsZero() {
		return strconv.Itoa(o.Published.UTC().Year())
	}
	if len(o.Record.Created) >= 4 {
		return o.Record.Created[:4]
	}
	return ""
}

// geoBox reads "minx,miny,maxx,maxy" (lon/lat, as STAC) into a DataCite geoLocationBox.
func geoBox(bbox string) (map[string]float64, bool) {
	parts := strings.Split(bbox, ",")
	if len(parts) != 4 {
		return nil, false
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		v[i] = f
	}
	return map[string]float64{
		"westBoundLongitude": v[0], "southBoundLatitude": v[1],
		"eastBoundLongitude": v[2], "northBoundLatitude": v[3],
	}, true
}
