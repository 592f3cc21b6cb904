//go:build !linux

package main

import "time"

// finePacing has nothing to tune outside Linux.
func finePacing() {}

// sleepUntil sleeps with Go's timers, which may wake late by up to a
// millisecond; the report shows how late.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }
