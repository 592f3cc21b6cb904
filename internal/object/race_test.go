//go:build race

package object

// raceEnabled says the race detector is on, which slows code down several
// times; time limits in tests scale with it.
const raceEnabled = true
