package sandbox

import (
	"fmt"
	"strings"
)

// Support is what the running kernel offers for confinement.
type Support struct {
	LandlockABI    int    // 0 when Landlock is unavailable
	LandlockReason string // why Landlock is unusable, if it is
	UserNS         bool
	MountNS        bool
	PIDNS          bool
	NetNS          bool
	NSReason       string // why a namespace could not be created, if one could not
}

// OK reports whether a confined Policy can be enforced.
func (s Support) OK() bool {
	return s.LandlockABI >= MinLandlockABI && s.UserNS && s.MountNS && s.PIDNS && s.NetNS
}

// Reason explains what is missing; empty when OK.
func (s Support) Reason() string {
	var r []string
	if s.LandlockABI < MinLandlockABI {
		r = append(r, fmt.Sprintf("landlock ABI %d < %d: %s", s.LandlockABI, MinLandlockABI, s.LandlockReason))
	}
	if !(s.UserNS && s.MountNS && s.PIDNS && s.NetNS) {
		r = append(r, fmt.Sprintf("namespaces user=%v mount=%v pid=%v net=%v: %s", s.UserNS, s.MountNS, s.PIDNS, s.NetNS, s.NSReason))
	}
	return strings.Join(r, "; ")
}

func (s Support) String() string {
	if s.OK() {
		return fmt.Sprintf("landlock ABI %d, user/mount/pid/net namespaces available", s.LandlockABI)
	}
	return s.Reason()
}
