//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time this process has used, all
// threads together; ok is false where the platform does not report it.
func processCPUTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
