package bearer

import (
	"syscall"
	"time"
)

// wallUnix returns the current Unix second of the wall clock. On Linux on
// amd64, time.Now makes two vDSO calls, one for the wall clock and one for
// the monotonic clock; syscall.Gettimeofday makes one, for the same wall
// clock.
func wallUnix() int64 {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now().Unix()
	}
	return tv.Sec
}

// wallNow returns the current time of the wall clock, to the microsecond
// and without a monotonic reading, in the one vDSO call wallUnix makes.
func wallNow() time.Time {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now()
	}
	return time.Unix(tv.Sec, tv.Usec*1000)
}
