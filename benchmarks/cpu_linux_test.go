package benchmarks

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used so
// far, on every thread: the benchmark goroutine, background workers and the
// garbage collector.
func processCPU() (time.Duration, bool) { return rusage(syscall.RUSAGE_SELF) }

// threadCPU returns the user and system CPU time of the calling thread. The
// caller locks its goroutine to the thread with runtime.LockOSThread, so that
// this is the goroutine's own CPU time, its garbage collection assists
// included.
func threadCPU() (time.Duration, bool) { return rusage(syscall.RUSAGE_THREAD) }

func rusage(who int) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
