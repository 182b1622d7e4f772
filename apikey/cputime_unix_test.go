//go:build unix

package apikey_test

import "syscall"

// processCPU returns the CPU time the process has used (user + system, all
// threads, so garbage collection is included), in nanoseconds. Benchmarks
// report it per operation beside wall time, because on a shared machine
// wall time also counts the time other processes held the CPU.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
