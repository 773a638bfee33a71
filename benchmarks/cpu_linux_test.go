package benchmarks

import (
	"syscall"
	"time"
)

// threadCPU returns the user and system CPU time of the calling thread. The
// caller locks its goroutine to the thread with runtime.LockOSThread, so that
// this is the goroutine's own CPU time, its garbage collection assists
// included.
func threadCPU() (time.Duration, bool) { return rusage(syscall.RUSAGE_THREAD) }
