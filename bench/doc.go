// Package bench compares gatehouse with the Go libraries its users would
// otherwise pick. It is its own module, so the peer libraries never enter
// the library's go.mod.
//
// The micro-benchmarks (the *_test.go files beside this one) push the same
// request through every contender into the same 204 handler, with the same
// tokens, keys and prefix lists (package fixture); cmd/load drives small
// servers with wrk; run.sh runs both and rewrites RESULTS.md. Benchmark
// names follow one scheme, Benchmark<Area>/<row…>/<contender>, which
// cmd/report turns into tables: every row compares its contenders with the
// row's floor and with the fastest.
package bench
