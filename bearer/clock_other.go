//go:build !(linux && amd64)

package bearer

import "time"

// wallNow returns the current time of the wall clock.
func wallNow() time.Time { return time.Now() }
