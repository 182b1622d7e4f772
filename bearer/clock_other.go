//go:build !(linux && amd64)

package bearer

import "time"

// wallUnix returns the current Unix second of the wall clock.
func wallUnix() int64 { return time.Now().Unix() }

// wallNow returns the current time of the wall clock.
func wallNow() time.Time { return time.Now() }
