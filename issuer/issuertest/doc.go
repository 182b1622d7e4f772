// Package issuertest is the conformance kit for the stores of package
// issuer. Every implementation — the in-memory defaults, a Redis store —
// runs the same tests from its own _test.go:
//
//	func TestRedisRefresh(t *testing.T) {
//		issuertest.TestRefreshStore(t, func(t *testing.T) issuer.RefreshStore {
//			return newRedisRefresh(t) // empty, isolated, cleaned up with t.Cleanup
//		})
//	}
//
// The tests use times near time.Now, so a store that also expires keys
// with real TTLs passes; they never sleep.
package issuertest
