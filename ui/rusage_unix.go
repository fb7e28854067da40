//go:build unix

package ui

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
)

// processUsage returns the CPU time (user + system) this process has used
// and its peak resident set size in bytes, from getrusage(RUSAGE_SELF).
func processUsage() (cpu time.Duration, maxRSS int64, err error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, fmt.Errorf("getrusage: %w", err)
	}
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		maxRSS *= 1024 // kilobytes everywhere but macOS
	}
	return tv(ru.Utime) + tv(ru.Stime), maxRSS, nil
}
