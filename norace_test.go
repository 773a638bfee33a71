//go:build !race

package otelsentry

const raceEnabled = false
