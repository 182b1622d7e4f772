// Package tokenendpointtest is the conformance kit for the stores of
// package tokenendpoint. Every implementation — the in-memory defaults, a
// Redis store — runs the same tests from its own _test.go:
//
//	func TestRedisReplay(t *testing.T) {
//		tokenendpointtest.TestReplayStore(t, func(t *testing.T) tokenendpoint.ReplayStore {
//			return newRedisReplay(t) // empty, isolated, cleaned up with t.Cleanup
//		})
//	}
//
// The tests wait only once, for a 50 ms ttl to pass (require.Eventually),
// so that a store that expires keys on a real clock is checked too.
package tokenendpointtest
