// Package layering holds the tests that keep Meridian's import graph (production and test
// imports) equal to the table in graph_test.go, which docs/ARCHITECTURE.md draws, and that
// every package has a doc comment; it has no code of its own.
package layering
