package catalog

import (
	"testing"
	"unicode"
)

// FuzzCheckPublishText: the limits never panic, decide the same way twice, and what they
// accept holds no escape, carriage return or C1 control anywhere and no bidirectional control
// in the name or a key.
func FuzzCheckPublishText(f *testing.F) {
	f.Add("LC05_B4.TIF", "band", "4", "gain", "2")
	f.Add("a\u202eb", "k\x1b", "v\r", "p", "\u009b")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, name, key, value, pkey, pvalue string) {
		meta := map[string]any{key: value, "list": []any{value, int64(1)}, "nested": map[string]any{key: value}}
		params := map[string]string{pkey: pvalue}
		err := CheckPublishText(name, meta, params)
		if again := CheckPublishText(name, meta, params); (err == nil) != (again == nil) {
			t.Fatalf("two answers: %v, %v", err, again)
		}
		if err != nil {
			return
		}
		for _, s := range []string{name, key, pkey} {
			for _, c := range s {
				if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) {
					t.Fatalf("accepted %U in the name or a key %q", c, s)
				}
			}
		}
		for _, s := range []string{value, pvalue} {
			for _, c := range s {
				if unicode.IsControl(c) && c != '\t' && c != '\n' {
					t.Fatalf("accepted %U in a value %q", c, s)
				}
			}
		}
	})
}
