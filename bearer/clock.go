package bearer

import "time"

// unixClock returns what a cache lookup reads the time with: the current
// Unix second of the clock now, or, when now is nil (the default clock,
// time.Now), of wallUnix. A lookup compares whole seconds with an entry's
// expiry, so it needs neither the monotonic reading nor nanoseconds.
func unixClock(now func() time.Time) func() int64 {
	if now == nil {
		return wallUnix
	}
	return func() int64 { return now().Unix() }
}

// claimsClock returns what the claims of a token seen for the first time
// are checked against: the clock now, or, when now is nil, wallNow. The
// checks compare the time with dates, so they need no monotonic reading.
func claimsClock(now func() time.Time) func() time.Time {
	if now == nil {
		return wallNow
	}
	return now
}

// wallUnix returns the current Unix second of the wall clock (wallNow).
func wallUnix() int64 { return wallNow().Unix() }
