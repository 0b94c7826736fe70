package catalog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestCheckPublishText(t *testing.T) {
	big := map[string]any{}
	for i := range 5 {
		big[string(rune('a'+i))] = strings.Repeat("x", 4000) // each under MaxMetaValue, 20 KB in all
	}
	many := map[string]any{}
	for i := range MaxMetaEntries + 1 {
		many[strings.Repeat("k", 1+i%50)+string(rune('A'+i/50))] = "v"
	}
	tests := []struct {
		name   string
		obj    string
		meta   map[string]any
		params map[string]string
		ok     bool
	}{
		{"plain", "LC05_B4.TIF", map[string]any{"band": "4", "list": []any{"a", int64(3)}, "nested": map[string]any{"ok": "ü ☃ עברית"}}, map[string]string{"gain": "2"}, true},
		{"meta over 16 KiB", "x", big, nil, false},
		{"value over 4 KiB", "x", map[string]any{"v": strings.Repeat("x", MaxMetaValue+1)}, nil, false},
		{"long key", "x", map[string]any{strings.Repeat("k", MaxMetaKey+1): "v"}, nil, false},
		{"too many entries", "x", many, nil, false},
		{"escape in value", "x", map[string]any{"v": "red\x1b[31m"}, nil, false},
		{"C1 in nested value", "x", map[string]any{"m": map[string]any{"v": "a\u009bb"}}, nil, false},
		{"newline in key", "x", map[string]any{"a\nb": "v"}, nil, false},
		{"lines and tabs in value", "x", map[string]any{"abstract": "line 1\n\tline 2"}, nil, true},
		{"carriage return in value", "x", map[string]any{"v": "ok\rforged"}, nil, false},
		{"newline in name", "a\nb", nil, nil, false},
		{"bidi override in name", "evil\u202egnp.exe", nil, nil, false},
		{"bidi isolate in key", "x", map[string]any{"k\u2066": "v"}, nil, false},
		{"bidi mark in value is text", "x", map[string]any{"k": "abc\u200f"}, nil, true},
		{"DEL in name", "a\x7fb", nil, nil, false},
		{"long name", strings.Repeat("n", MaxObjectName+1), nil, nil, false},
		{"escape in param", "x", nil, map[string]string{"p": "\x1b]0;title\a"}, false},
		{"params over 16 KiB", "x", nil, map[string]string{"a": strings.Repeat("x", 9000), "b": strings.Repeat("y", 9000)}, false},
	}
	for _, tt := range tests {
		err := CheckPublishText(tt.obj, tt.meta, tt.params)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: kind %v, want invalid", tt.name, errs.KindOf(err))
		}
	}
}

// TestPublishLimitsInFSM checks that the state machine itself refuses records over the limits,
// as a forwarded or crafted command would carry them.
func TestCheckLabel(t *testing.T) {
	for s, ok := range map[string]bool{"ndvi": true, "gdal 3.8 ü": true, "a\x1bb": false, "a\u2067b": false, "a\nb": false} {
		if err := CheckLabel("activity name", s); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", s, err, ok)
		}
	}
}

func TestPublishLimitsInFSM(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	f.time = LimitsSince // commands from now on are stamped after the limits began
	big := map[string]any{}
	for i := range 5 {
		big[string(rune('a'+i))] = strings.Repeat("x", 4000)
	}
	for name, tc := range map[string]struct {
		obj  string
		meta map[string]any
	}{
		"big meta":   {"big.tif", big},
		"escape":     {"esc.tif", map[string]any{"note": "\x1b[2J"}},
		"bidi name":  {"a\u202etxt.exe", nil},
		"record 1MB": {"huge.tif", map[string]any{"l": bigList()}},
	} {
		p, r := f.publish("nchc-pub", "landsat", tc.obj, tc.meta, "aist", "nchc")
		if !errs.Is(r.Err, errs.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, r.Err)
		}
		if _, err := f.s.Resolve(p); err == nil {
			t.Errorf("%s: the object was published", name)
		}
	}
}

// bigList is a meta list of 200 values of 800 bytes: 160 KB, each value and the entry count
// within their limits, so only the size limits refuse it.
func bigList() []any {
	l := make([]any, 200)
	for i := range l {
		l[i] = strings.Repeat("y", 800)
	}
	return l
}

func TestPageCutBytes(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	for i := range 10 {
		if _, r := f.publish("nchc-pub", "landsat", fmt.Sprintf("o%d", i), map[string]any{"pad": strings.Repeat("p", 1000)}, "aist", "nchc"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	size := 0
	if p, err := f.s.List("landsat", "", 1); err == nil && len(p.Objects) == 1 {
		size = len(p.Objects[0].Record)
	}
	seen, cursor, pages := map[uint64]bool{}, "", 0
	for {
		p, err := f.s.List("landsat", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		p = p.CutBytes(3*size + size/2) // three records a page
		if len(p.Objects) > 3 || len(p.Objects) == 0 {
			t.Fatalf("page of %d objects", len(p.Objects))
		}
		for _, o := range p.Objects {
			if seen[o.Index] {
				t.Fatalf("index %d twice", o.Index)
			}
			seen[o.Index] = true
		}
		pages++
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(seen) != 10 || pages != 4 {
		t.Fatalf("%d objects in %d pages", len(seen), pages)
	}
	// one object larger than the budget still comes, alone
	p, _ := f.s.List("landsat", "", 100)
	if c := p.CutBytes(1); len(c.Objects) != 1 || c.Next == "" {
		t.Fatalf("tiny budget: %d objects, next %q", len(c.Objects), c.Next)
	}
}

// TestPublishLimitsReplay: a publication over the limits that an older version committed
// (stamped before LimitsSince) replays as it did, while Check refuses it when proposing.
func TestPublishLimitsReplay(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	p, rec := f.record("nchc-pub", "nchc-pub", "landsat", "old.tif", map[string]any{"note": "\x1b[2J"})
	body := &Publish{PID: p.String(), Record: rec, Manifest: manifestCID("old"), Keys: keysFor("aist", "nchc")}
	b := f.encode("nchc-pub", body)
	if err := f.s.Check(b); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Check of an old over-limit publication: %v, want invalid", err)
	}
	if r := f.applyBytes(b); r.Err != nil {
		t.Fatalf("replay of a publication an older version accepted: %v", r.Err)
	}
}
