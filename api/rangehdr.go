package api

import (
	"errors"
	"math"
	"strings"
)

// byteRange is the byte span [start, start+length) of a representation.
type byteRange struct {
	start, length int64
}

// errUnsatisfiable means a well-formed Range header selects no byte of the content (416).
var errUnsatisfiable = errors.New("range not satisfiable")

// maxRangeSpecs bounds the work spent on one Range header; longer lists are ignored.
const maxRangeSpecs = 64

// parseRange reads a Range header (RFC 9110 §14.1.2) for content of size bytes. It returns
// ok=false when the header must be ignored (absent, another unit, malformed, too many specs,
// empty content) and errUnsatisfiable when no spec is satisfiable. Several ranges are
// coalesced into the one span that covers them all, so the answer is always a single-part
// 206 (RFC 9110 §14.2 lets a server coalesce; no multipart/byteranges).
func parseRange(h string, size int64) (byteRange, bool, error) {
	if h == "" || size <= 0 {
		return byteRange{}, false, nil
	}
	unit, set, found := strings.Cut(h, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return byteRange{}, false, nil
	}
	specs := strings.Split(set, ",")
	if len(specs) > maxRangeSpecs {
		return byteRange{}, false, nil
	}
	first, last := int64(math.MaxInt64), int64(-1) // covering span, inclusive
	valid := 0
	for _, spec := range specs {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // empty list elements are allowed by the list syntax
		}
		a, b, ok := parseSpec(spec, size)
		if !ok {
			return byteRange{}, false, nil
		}
		valid++
		if a < 0 {
			continue // well-formed but not satisfiable
		}
		first, last = min(first, a), max(last, b)
	}
	if valid == 0 {
		return byteRange{}, false, nil
	}
	if last < 0 {
		return byteRange{}, false, errUnsatisfiable
	}
	return byteRange{start: first, length: last - first + 1}, true, nil
}

// parseSpec reads one range-spec and returns its inclusive bounds clamped to the content,
// a=-1 when it is well-formed but unsatisfiable, ok=false when it is malformed.
func parseSpec(spec string, size int64) (a, b int64, ok bool) {
	lo, hi, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if lo == "" { // suffix-range "-n": the last n bytes
		n, ok := digits(hi)
		if !ok {
			return 0, 0, false
		}
		if n == 0 {
			return -1, 0, true
		}
		return max(size-n, 0), size - 1, true
	}
	a, ok = digits(lo)
	if !ok {
		return 0, 0, false
	}
	b = math.MaxInt64
	if hi != "" {
		if b, ok = digits(hi); !ok || b < a {
			return 0, 0, false
		}
	}
	if a >= size {
		return -1, 0, true
	}
	return a, min(b, size-1), true
}

// digits parses 1*DIGIT, saturating at MaxInt64 instead of failing on huge values.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// etagMatches reports whether an If-None-Match value (a list of entity tags, or "*") matches
// etag under the weak comparison of RFC 9110 §8.8.3.2.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
