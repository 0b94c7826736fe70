package pid

import (
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestValidateSaysTheForm: a malformed bbox or datetime is Invalid and the message names the
// field and the form to write, so a user can fix the request from the error alone.
func TestValidateSaysTheForm(t *testing.T) {
	for _, tc := range []struct {
		meta map[string]any
		want []string
	}{
		{map[string]any{"datetime": "2024-05-01"}, []string{"meta.datetime", "RFC 3339", "2024-05-01T00:00:00Z"}},
		{map[string]any{"bbox": "1,2,3"}, []string{"meta.bbox", "west,south,east,north"}},
		{map[string]any{"bbox": "1,2,3", "datetime": "x"}, []string{"meta.bbox", "west,south,east,north"}},
		{map[string]any{"n": 1.5}, []string{"float64", "use a string"}},
	} {
		r := minimal(t)
		r.Meta = tc.meta
		err := r.Validate()
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%v: %v, want an Invalid error", tc.meta, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q does not say %q", tc.meta, err, w)
			}
		}
	}
}
