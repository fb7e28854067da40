package sandbox

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

var probeOnce = sync.OnceValue(probe)

// Probe reports what the kernel offers. It starts one short child process in
// fresh namespaces the first time; the answer is cached.
func Probe() Support { return probeOnce() }

func probe() Support {
	var s Support
	abi, err := ll.LandlockGetABIVersion()
	if err != nil {
		s.LandlockReason = err.Error()
	} else {
		s.LandlockABI = abi
		if abi < MinLandlockABI {
			s.LandlockReason = "kernel too old"
		}
	}
	tru, err := exec.LookPath("true")
	if err != nil {
		s.NSReason = "no `true` binary to probe with: " + err.Error()
		return s
	}
	try := func(flags uintptr) error {
		c := exec.Command(tru)
		c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags | syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}}
		return c.Run()
	}
	if err := try(syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET); err == nil {
		s.UserNS, s.MountNS, s.PIDNS, s.NetNS = true, true, true, true
		return s
	}
	var reasons []string
	for _, t := range []struct {
		name string
		flag uintptr
		ok   *bool
	}{{"user", 0, &s.UserNS}, {"mount", syscall.CLONE_NEWNS, &s.MountNS}, {"pid", syscall.CLONE_NEWPID, &s.PIDNS}, {"net", syscall.CLONE_NEWNET, &s.NetNS}} {
		if err := try(t.flag); err != nil {
			reasons = append(reasons, t.name+": "+err.Error())
		} else {
			*t.ok = true
		}
	}
	s.NSReason = strings.Join(reasons, ", ")
	return s
}
