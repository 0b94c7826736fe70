package pid

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestMetaEntryCap: metadata may hold at most maxMetaEntries map entries and list items over
// the whole tree, counted across sibling values (so many small lists cannot add up past the
// cap). One more is refused as Invalid by Validate and by Encode.
func TestMetaEntryCap(t *testing.T) {
	list := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	r := sample(t)
	// Exactly at the cap: one key and its list's items.
	r.Meta = map[string]any{"many": list(maxMetaEntries - 1)}
	if err := r.Validate(); err != nil {
		t.Fatalf("meta with exactly %d entries refused: %v", maxMetaEntries, err)
	}
	r.Meta["many"] = list(maxMetaEntries)
	err := r.Validate()
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d entries", maxMetaEntries)) {
		t.Fatalf("meta with %d entries: err = %v, want Invalid saying more than %d entries", maxMetaEntries+1, err, maxMetaEntries)
	}
	if _, err := r.Encode(); err == nil {
		t.Fatal("Encode accepted meta over the entry cap")
	}

	// Spread over siblings: 64 lists of 64 items are 4096 items plus 64 keys.
	r = sample(t)
	r.Meta = map[string]any{}
	for i := range 64 {
		r.Meta[fmt.Sprintf("l%02d", i)] = list(64)
	}
	if err := r.Validate(); !errs.Is(err, errs.Invalid) {
		t.Fatalf("meta of 64 lists of 64: err = %v, want Invalid", err)
	}
}
