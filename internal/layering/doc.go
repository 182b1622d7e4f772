// Package layering holds the test that keeps the library's dependency
// rules (docs/ARCHITECTURE.md, "Dependency direction") true.
package layering
