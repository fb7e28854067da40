package messaging

import (
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// ErrBadRunID is wrapped by run id parse failures.
var ErrBadRunID = errors.New("bad run id")

var runIDPattern = regexp.MustCompile(`^r-[0-9]{8}-[0-9a-z]{4}$`)

const runIDAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewRunID returns an id like "r-20261123-ab12" for a run started at t.
func NewRunID(t time.Time) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	suffix := make([]byte, 4)
	for i, v := range b {
		suffix[i] = runIDAlphabet[int(v)%len(runIDAlphabet)]
	}
	return "r-" + t.UTC().Format("20060102") + "-" + string(suffix)
}

// ValidateRunID checks the shape of a run id.
func ValidateRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("%w %q: want r-YYYYMMDD-xxxx", ErrBadRunID, id)
	}
	return nil
}
