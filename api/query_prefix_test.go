package api

import (
	"reflect"
	"testing"
)

// TestQueryPrefixRoundTrip checks that the name prefix travels in the query string: a client
// that sets it and a server that parses it agree on the whole query.
func TestQueryPrefixRoundTrip(t *testing.T) {
	q := Query{Catalog: "landsat", Name: "B4", Prefix: "LC05_", Meta: map[string]string{"tile": "T001"},
		From: "2020-01-01T00:00:00Z", BBox: "1,2,3,4", Cursor: "17"}
	got, err := parseQuery(q.values())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, q) {
		t.Fatalf("parseQuery(values()) = %+v, want %+v", got, q)
	}
}
