//go:build !linux

package sandbox

import (
	"fmt"
	"runtime"
)

// Option changes how New builds a Runner.
type Option func(*options)

type options struct{}

// WithExecutable sets the binary re-executed as helper.
func WithExecutable(string) Option { return func(*options) {} }

// WithHostID sets the host uid/gid of commands when running as root.
func WithHostID(int, int) Option { return func(*options) {} }

// WithReexec forces the re-exec path.
func WithReexec() Option { return func(*options) {} }

// WithServer forces the exec-server path.
func WithServer() Option { return func(*options) {} }

// Probe reports that confinement is Linux-only.
func Probe() Support {
	return Support{LandlockReason: "Linux only", NSReason: "confinement is implemented for Linux only, not " + runtime.GOOS}
}

// HelperMain does nothing off Linux.
func HelperMain() {}

// New fails closed off Linux unless the policy is DangerFullAccess.
func New(p Policy, opts ...Option) (Runner, error) {
	if p.Mode == DangerFullAccess {
		return nil, fmt.Errorf("%w: unconfined runner not implemented on %s", ErrUnavailable, runtime.GOOS)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnavailable, Probe().Reason())
}
