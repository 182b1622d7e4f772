// Package readmeprograms holds the test that keeps the Go programs of every
// README in the repository true: each compiles, and each marked copy of
// an example's source is that source.
package readmeprograms
