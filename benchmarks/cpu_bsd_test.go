//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package benchmarks

import "time"

// threadCPU reports false: only Linux measures the CPU time of one thread.
func threadCPU() (time.Duration, bool) { return 0, false }
