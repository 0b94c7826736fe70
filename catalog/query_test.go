package catalog

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

func TestListPaging(t *testing.T) {
	f := newFixture(t)
	f.catalog("a", "nchc", "member")
	f.catalog("b", "nchc", "member")
	var want []cid.Cid
	for i := range 25 {
		p, r := f.publish("nchc-pub", "a", fmt.Sprintf("a%02d", i), nil, "nchc")
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		want = append(want, p)
		f.publish("nchc-pub", "b", fmt.Sprintf("b%02d", i), nil, "nchc") // interleaved
	}
	var got []cid.Cid
	cursor := ""
	for pages := 0; ; pages++ {
		pg, err := f.s.List("a", cursor, 10)
		if err != nil || pages > 3 {
			t.Fatalf("List: %v after %d pages", err, pages)
		}
		for _, o := range pg.Objects {
			got = append(got, o.PID)
		}
		if pg.Next == "" {
			break
		}
		// Objects published meanwhile go to the end: paging neither skips nor repeats.
		if pages == 0 {
			p, _ := f.publish("nchc-pub", "a", "late", nil, "nchc")
			want = append(want, p)
		}
		cursor = pg.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged listing has %d objects, want %d in publish order", len(got), len(want))
	}
	if _, err := f.s.List("a", "x", 10); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad cursor: %v", err)
	}
	all, _ := f.s.Objects("", 1000)
	if len(all.Objects) != 51 || all.Next != "" {
		t.Fatalf("Objects = %d, next %q", len(all.Objects), all.Next)
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	f.catalog("eo", "nchc", "federation")
	f.catalog("secret", "nchc", "member")
	readers := []string{"aist", "esa", "nchc"}
	f.publish("nchc-pub", "eo", "Taipei_B4.tif", map[string]any{"band": "4", "bbox": "121.4,24.9,121.7,25.2", "datetime": "2020-05-01T00:00:00Z"}, readers...)
	f.publish("nchc-pub", "eo", "Tokyo_B5.tif", map[string]any{"band": "5", "bbox": "139.5,35.5,139.9,35.9", "datetime": "2021-01-01T00:00:00Z/2021-12-31T00:00:00Z"}, readers...)
	f.publish("nchc-pub", "eo", "Fiji_B4.tif", map[string]any{"band": "4", "bbox": "177,-19,-179,-16", "orbit": int64(42)}, readers...)
	f.publish("nchc-pub", "secret", "Taipei_secret.tif", map[string]any{"band": "4"}, "nchc")
	aist := f.s.Subject("aist-read")
	tests := []struct {
		name string
		sub  policy.Subject
		q    Query
		want []string
	}{
		{"name", aist, Query{Name: "taipei"}, []string{"Taipei_B4.tif"}},
		{"name owner sees secret", f.s.Subject("nchc-read"), Query{Name: "taipei"}, []string{"Taipei_B4.tif", "Taipei_secret.tif"}},
		{"anonymous sees nothing", policy.Anon, Query{}, nil},
		{"meta", aist, Query{Meta: map[string]string{"band": "4"}}, []string{"Taipei_B4.tif", "Fiji_B4.tif"}},
		{"meta int", aist, Query{Meta: map[string]string{"orbit": "42"}}, []string{"Fiji_B4.tif"}},
		{"meta absent", aist, Query{Meta: map[string]string{"band": "9"}}, nil},
		{"time instant", aist, Query{From: "2020-01-01T00:00:00Z", To: "2020-12-31T00:00:00Z"}, []string{"Taipei_B4.tif"}},
		{"time interval", aist, Query{From: "2021-06-01T00:00:00Z", To: "2021-06-02T00:00:00Z"}, []string{"Tokyo_B5.tif"}},
		{"time falls back to created", aist, Query{From: "2026-01-01T00:00:00Z"}, []string{"Fiji_B4.tif"}},
		{"bbox", aist, Query{BBox: "121,24,122,26"}, []string{"Taipei_B4.tif"}},
		{"bbox across antimeridian", aist, Query{BBox: "-180,-20,-178,-15"}, []string{"Fiji_B4.tif"}},
		{"catalog", aist, Query{Catalog: "eo", Name: "_B"}, []string{"Taipei_B4.tif", "Tokyo_B5.tif", "Fiji_B4.tif"}},
	}
	for _, tt := range tests {
		pg, err := f.s.Search(tt.sub, tt.q)
		var got []string
		for _, o := range pg.Objects {
			got = append(got, o.Name)
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := f.s.Search(aist, Query{Catalog: "secret"}); !errs.Is(err, errs.Permission) {
		t.Errorf("search in an unreadable catalog: %v", err)
	}
	if _, err := f.s.Search(policy.Anon, Query{Catalog: "secret"}); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("anonymous search in an unreadable catalog: %v", err)
	}
	pg, _ := f.s.Search(aist, Query{Limit: 2})
	if len(pg.Objects) != 2 || pg.Next == "" {
		t.Fatalf("first page: %d objects, next %q", len(pg.Objects), pg.Next)
	}
	pg, _ = f.s.Search(aist, Query{Limit: 2, Cursor: pg.Next})
	if len(pg.Objects) != 1 || pg.Objects[0].Name != "Fiji_B4.tif" || pg.Next != "" {
		t.Fatalf("second page: %v, next %q", pg.Objects, pg.Next)
	}
	for _, q := range []Query{{BBox: "1,2,3"}, {BBox: "0,0,200,1"}, {BBox: "NaN,0,1,1"}, {From: "yesterday"}, {Cursor: "-1"}} {
		if _, err := f.s.Search(aist, q); !errs.Is(err, errs.Invalid) {
			t.Errorf("Search(%+v) = %v, want invalid", q, err)
		}
	}
}

func TestAuditChain(t *testing.T) {
	f := newFixture(t)
	f.run("nobody", &AddMember{Member: member("jaxa")}) // rejected: not audited
	entries, next := f.s.Audit(0, 1000)
	if next != 0 || len(entries) != len(f.log)-1 {
		t.Fatalf("audit has %d entries for %d commands (one rejected)", len(entries), len(f.log))
	}
	if i := VerifyAuditChain(Hash{}, entries); i != -1 {
		t.Fatalf("chain broken at %d", i)
	}
	if entries[0].Kind != KindBootstrap || entries[0].Actor != "nchc-admin" || entries[0].Digest != Hash(sha256Of(f.log[0])) {
		t.Fatalf("first entry = %+v", entries[0])
	}
	page1, next := f.s.Audit(0, 3)
	page2, _ := f.s.Audit(next, 3)
	if i := VerifyAuditChain(page1[2].Hash, page2); i != -1 || page2[0].Index != entries[3].Index {
		t.Fatalf("second page does not continue the chain (%d)", i)
	}
	for _, tamper := range []func(e *AuditEntry){
		func(e *AuditEntry) { e.Actor = "mallory" },
		func(e *AuditEntry) { e.Time++ },
		func(e *AuditEntry) { e.Digest[0] ^= 1 },
	} {
		bad := slices.Clone(entries)
		tamper(&bad[4])
		if i := VerifyAuditChain(Hash{}, bad); i != 4 {
			t.Errorf("tampered entry 4 detected at %d", i)
		}
	}
}
