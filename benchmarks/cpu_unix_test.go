//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package benchmarks

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used so
// far, on every thread: the benchmark goroutine, background workers and the
// garbage collector.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// threadCPU reports false: only Linux measures the CPU time of one thread.
func threadCPU() (time.Duration, bool) { return 0, false }
