//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package benchmarks

import "time"

// processCPU reports false where getrusage is not available: the
// benchmarks then leave out cpu-ns/op.
func processCPU() (time.Duration, bool) { return 0, false }

// threadCPU reports false: the benchmarks then leave out req-cpu-ns/op.
func threadCPU() (time.Duration, bool) { return 0, false }
