package api

import (
	"strconv"
	"strings"
)

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub    string  // lower case; "*" for wildcards
	q           float64 // 0..1
	specificity int     // 0 */*, 1 type/*, 2 type/subtype
}

// maxAcceptRanges bounds the work spent on one Accept header; later elements are ignored.
const maxAcceptRanges = 64

// parseAccept reads an Accept header (RFC 9110 §12.5.1). Malformed elements are skipped;
// parameters other than q are ignored for matching (application/ld+json;profile=... matches
// application/ld+json); quoted strings may hold commas and semicolons.
func parseAccept(h string) []mediaRange {
	var out []mediaRange
	for _, el := range splitQuoted(h, ',') {
		if len(out) == maxAcceptRanges {
			break
		}
		if mr, ok := parseMediaRange(el); ok {
			out = append(out, mr)
		}
	}
	return out
}

func parseMediaRange(el string) (mediaRange, bool) {
	parts := splitQuoted(el, ';')
	if len(parts) == 0 {
		return mediaRange{}, false
	}
	typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(parts[0])), "/")
	if !ok || !isToken(typ) || !isToken(sub) || (typ == "*" && sub != "*") {
		return mediaRange{}, false
	}
	mr := mediaRange{typ: typ, sub: sub, q: 1, specificity: 2}
	switch {
	case typ == "*":
		mr.specificity = 0
	case sub == "*":
		mr.specificity = 1
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, ok := parseQ(strings.TrimSpace(v))
		if !ok {
			return mediaRange{}, false
		}
		mr.q = q
		break // parameters after q are accept-ext
	}
	return mr, true
}

// parseQ reads a qvalue: "0", "1", "0.5", up to three decimals.
func parseQ(v string) (float64, bool) {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0, false
	}
	q, err := strconv.ParseFloat(v, 64)
	if err != nil || q < 0 || q > 1 {
		return 0, false
	}
	return q, true
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// splitQuoted splits s at sep outside double-quoted strings (with backslash escapes) and drops
// empty elements.
func splitQuoted(s string, sep byte) []string {
	var out []string
	inQuote, esc, start := false, false, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			switch {
			case esc:
				esc = false
				continue
			case inQuote && c == '\\':
				esc = true
				continue
			case c == '"':
				inQuote = !inQuote
				continue
			case c != sep || inQuote:
				continue
			}
		}
		if el := strings.TrimSpace(s[start:i]); el != "" {
			out = append(out, el)
		}
		start = i + 1
	}
	return out
}

// negotiate picks the offer (a "type/subtype", in server preference order) that the Accept
// header h rates highest: each offer takes the q of the most specific range matching it, q=0
// excludes it, ties go to the earlier offer. A missing or wholly malformed header accepts
// anything (the first offer). ok is false when no offer is acceptable (406).
func negotiate(h string, offers []string) (string, bool) {
	ranges := parseAccept(h)
	if len(ranges) == 0 {
		return offers[0], true
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		if q := qualityOf(ranges, o); q > bestQ {
			best, bestQ = o, q
		}
	}
	return best, bestQ > 0
}

func qualityOf(ranges []mediaRange, offer string) float64 {
	typ, sub, _ := strings.Cut(offer, "/")
	q, spec := 0.0, -1
	for _, r := range ranges {
		if (r.typ != "*" && r.typ != typ) || (r.sub != "*" && r.sub != sub) {
			continue
		}
		if r.specificity > spec || (r.specificity == spec && r.q > q) {
			q, spec = r.q, r.specificity
		}
	}
	return q
}
