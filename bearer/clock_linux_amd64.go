package bearer

import (
	"syscall"
	"time"
)

// wallNow returns the current time of the wall clock, to the microsecond
// and without a monotonic reading. On Linux on amd64, time.Now makes two
// vDSO calls, one for the wall clock and one for the monotonic clock;
// syscall.Gettimeofday makes one, for the same wall clock.
func wallNow() time.Time {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now()
	}
	return time.Unix(tv.Sec, tv.Usec*1000)
}
