package catalog

import "testing"

// TestSearchNextOnlyForReadable: a full page carries a next cursor only when another object
// the subject may read matches; objects it may not read after the page must not show, not
// even as a cursor that leads to an empty page.
func TestSearchNextOnlyForReadable(t *testing.T) {
	f := newFixture(t)
	f.catalog("eo", "nchc", "federation")
	f.catalog("secret", "nchc", "member")
	readers := []string{"aist", "esa", "nchc"}
	f.publish("nchc-pub", "eo", "a.tif", nil, readers...)
	f.publish("nchc-pub", "eo", "b.tif", nil, readers...)
	f.publish("nchc-pub", "secret", "c.tif", nil, "nchc")
	f.publish("nchc-pub", "eo", "d-other.txt", nil, readers...) // readable, does not match
	aist, owner := f.s.Subject("aist-read"), f.s.Subject("nchc-read")
	if pg, err := f.s.Search(aist, Query{Name: ".tif", Limit: 2}); err != nil || len(pg.Objects) != 2 || pg.Next != "" {
		t.Fatalf("outsider's full page: %d objects, next %q, %v; want 2 and no next (only an unreadable object follows)", len(pg.Objects), pg.Next, err)
	}
	if pg, err := f.s.Search(owner, Query{Name: ".tif", Limit: 2}); err != nil || len(pg.Objects) != 2 || pg.Next == "" {
		t.Fatalf("owner's full page: %d objects, next %q, %v; want 2 and a next (c.tif follows)", len(pg.Objects), pg.Next, err)
	}
}
