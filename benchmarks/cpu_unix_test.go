//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package benchmarks

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used so
// far, on every thread: the benchmark goroutine, background workers and the
// garbage collector.
func processCPU() (time.Duration, bool) { return rusage(syscall.RUSAGE_SELF) }

// rusage returns the user and system CPU time getrusage reports for who.
func rusage(who int) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
