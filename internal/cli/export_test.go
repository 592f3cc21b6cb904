package cli

import "time"

// SetNow replaces the clock that expires suppressions and returns a
// function that restores it.
func SetNow(f func() time.Time) (restore func()) {
	old := now
	now = f
	return func() { now = old }
}
