//go:build !unix

package ui

import (
	"errors"
	"time"
)

// processUsage is not available without getrusage.
func processUsage() (time.Duration, int64, error) {
	return 0, 0, errors.New("measure load: getrusage is not available on this system")
}
