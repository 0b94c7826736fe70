package main

import (
	"fmt"
	"strings"
	"unicode"
)

// printable makes text from a record safe to print on a terminal: control characters (which
// drive terminals: ESC, CR, C1, and tab and line feed that would break a table's lines) and
// bidirectional controls (which make a name display differently from what it is) are written
// as \u escapes. The catalog refuses them in new publications; records published before the
// limits, or by a node that skipped them, may still hold them.
func printable(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if unsafeRune(c) {
			fmt.Fprintf(&b, `\u%04X`, c)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func unsafeRune(c rune) bool {
	return unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) || c == unicode.ReplacementChar
}
