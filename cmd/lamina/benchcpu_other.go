//go:build !unix

package main

import "time"

// processCPUTime: no portable process CPU clock here (see benchcpu_unix.go).
func processCPUTime() (time.Duration, bool) { return 0, false }
