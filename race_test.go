//go:build race

package otelsentry

// raceEnabled tells tests that the race detector slows every memory access,
// so that waits measured under it say nothing of the code's.
const raceEnabled = true
