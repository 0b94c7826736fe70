package pid

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on free-form metadata, so a record stays small and cheap to check.
const (
	maxMetaDepth   = 8    // nesting of maps and lists inside meta
	maxMetaEntries = 4096 // map entries plus list items, over the whole meta tree
)

// Well-known meta keys that are checked when present.
const (
	// MetaBBox is a bounding box in WGS 84 decimal degrees, "west,south,east,north" (STAC bbox
	// order, as a string so no floats enter the record). west > east crosses the antimeridian.
	MetaBBox = "bbox"
	// MetaDatetime is an RFC 3339 time, or an interval "start/end" where either end may be "..".
	MetaDatetime = "datetime"
)

// ValidateMeta checks free-form metadata. Values are strings, integers (int, int64), lists
// ([]any, []string) and maps (map[string]any, map[string]string) of values, nested at most 8
// deep; no floats, booleans, nulls or bytes — write numbers with fractions, coordinates and
// times as strings. Decode returns strings as string, integers as int64, lists as []any and maps
// as map[string]any. The keys "bbox" and "datetime", when present, must follow MetaBBox and
// MetaDatetime.
func ValidateMeta(m map[string]any) error {
	entries := 0
	if err := checkMetaValue(m, 0, &entries); err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	if v, ok := m[MetaBBox]; ok {
		if err := checkBBox(v); err != nil {
			return fmt.Errorf("meta.bbox: %w", err)
		}
	}
	if v, ok := m[MetaDatetime]; ok {
		if err := checkDatetime(v); err != nil {
			return fmt.Errorf("meta.datetime: %w", err)
		}
	}
	return nil
}

func checkMetaValue(v any, depth int, entries *int) error {
	if depth > maxMetaDepth {
		return fmt.Errorf("nested more than %d deep", maxMetaDepth)
	}
	switch v := v.(type) {
	case string:
		return checkText(v)
	case int, int64:
		return nil
	case []string, map[string]string:
		return checkMetaValue(normalise(v), depth, entries)
	case []any:
		*entries += len(v)
		for i, e := range v {
			if err := checkMetaValue(e, depth+1, entries); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case map[string]any:
		*entries += len(v)
		for k, e := range v {
			if err := checkText(k); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if err := checkMetaValue(e, depth+1, entries); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	default:
		return fmt.Errorf("value of type %T not allowed; use a string, integer, list or map", v)
	}
	if *entries > maxMetaEntries {
		return fmt.Errorf("more than %d entries", maxMetaEntries)
	}
	return nil
}

// normalise turns the convenience types []string and map[string]string into []any and
// map[string]any.
func normalise(v any) any {
	switch v := v.(type) {
	case []string:
		l := make([]any, len(v))
		for i, s := range v {
			l[i] = s
		}
		return l
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return m
	}
	return v
}

func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	return nil
}

func checkBBox(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a string \"west,south,east,north\", not %T", v)
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return fmt.Errorf("%q must have 4 comma-separated numbers: west,south,east,north", s)
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%q: %q is not a decimal number", s, p)
		}
		f[i] = x
	}
	w, so, e, n := f[0], f[1], f[2], f[3]
	if w < -180 || w > 180 || e < -180 || e > 180 {
		return fmt.Errorf("%q: longitudes must be within [-180, 180]", s)
	}
	if so < -90 || n > 90 || so > n {
		return fmt.Errorf("%q: latitudes must satisfy -90 <= south <= north <= 90", s)
	}
	return nil
}

func checkDatetime(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be an RFC 3339 string, not %T", v)
	}
	start, end, interval := strings.Cut(s, "/")
	if !interval {
		_, err := time.Parse(time.RFC3339Nano, s)
		return err
	}
	if start == ".." && end == ".." {
		return fmt.Errorf("%q: an interval needs at least one end", s)
	}
	var ts [2]time.Time
	for i, p := range []string{start, end} {
		if p == ".." {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, p)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		ts[i] = t
	}
	if start != ".." && end != ".." && ts[1].Before(ts[0]) {
		return fmt.Errorf("%q: interval ends before it starts", s)
	}
	return nil
}
