package bearer

import "time"

// unixClock returns what a cache lookup reads the time with: the current
// Unix second of now, or, for the default clock (def), of wallUnix, which
// reads the wall clock alone where that is cheaper than time.Now. A
// lookup compares whole seconds with an entry's expiry, so it needs
// neither the monotonic reading nor nanoseconds.
func unixClock(now func() time.Time, def bool) func() int64 {
	if def {
		return wallUnix
	}
	return func() int64 { return now().Unix() }
}
