// Package layering holds the test that keeps Meridian's package dependencies pointing the way
// DESIGN.md draws them; it has no code of its own.
package layering
