// Package rootreadme holds the test that keeps the repository README's Go
// programs true: each compiles, and each marked copy of an example's
// source is that source.
package rootreadme
