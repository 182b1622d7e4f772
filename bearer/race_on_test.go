//go:build race

package bearer_test

// raceDetector reports whether the race detector is on: it slows every
// request several times, so latency targets are checked without it.
const raceDetector = true
