package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The exec server: one helper per Runner, started once inside the
// namespaces and the Landlock domain. Each command is a frame on a unix
// stream socket (4-byte length, JSON) carrying the output pipe (and the
// stdin pipe) as SCM_RIGHTS; the server forks the shim (its own executable)
// which sets the rlimits and execs the command; when the command exits the
// server kills every other process of the namespace and answers.

const ctlFD = 5

type serverRequest struct {
	Op       string // "run" or "kill"
	Argv     []string
	Dir      string
	Timeout  time.Duration
	HasStdin bool
}

type serverReply struct {
	Exit     int
	Signal   string `json:",omitempty"`
	TimedOut bool   `json:",omitempty"`
	Err      string `json:",omitempty"`
}

type shimSpec struct {
	Argv    []string
	Rlimits []Rlimit
}

func writeFrame(fd int, v any, fds []int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 4+len(data))
	binary.BigEndian.PutUint32(buf, uint32(len(data)))
	copy(buf[4:], data)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	n, err := unix.SendmsgN(fd, buf, oob, nil, 0)
	if err != nil {
		return err
	}
	for n < len(buf) {
		m, err := unix.Write(fd, buf[n:])
		if err != nil {
			return err
		}
		n += m
	}
	return nil
}

// readFrame reads one frame and the descriptors sent with it.
func readFrame(fd int, v any) ([]int, error) {
	head := make([]byte, 4)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(fd, head, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, got...)
			}
		}
	}
	for n < 4 {
		m, err := unix.Read(fd, head[n:])
		if err != nil || m == 0 {
			return fds, io.ErrUnexpectedEOF
		}
		n += m
	}
	body := make([]byte, binary.BigEndian.Uint32(head))
	for off := 0; off < len(body); {
		m, err := unix.Read(fd, body[off:])
		if err != nil || m == 0 {
			return fds, io.ErrUnexpectedEOF
		}
		off += m
	}
	return fds, json.Unmarshal(body, v)
}

// serverRun is the exec server, pid 1 of its namespaces.
func serverRun() int {
	status := os.NewFile(statusFD, "status")
	spec, err := readSpec(os.NewFile(specFD, "spec"))
	if err == nil {
		err = confine(spec)
	}
	if err != nil {
		writeStatus(status, statusOf(err))
		return 125
	}
	writeStatus(status, helperStatus{})
	status.Close()

	var (
		mu      sync.Mutex
		running bool
		killed  bool
	)
	killAll := func() { _ = syscall.Kill(-1, syscall.SIGKILL) }
	for {
		var req serverRequest
		fds, err := readFrame(ctlFD, &req)
		if err != nil {
			killAll()
			return 0
		}
		switch req.Op {
		case "kill":
			mu.Lock()
			if running {
				killed = true
				killAll()
			}
			mu.Unlock()
		case "run":
			if len(fds) < 1 {
				_ = writeFrame(ctlFD, serverReply{Exit: 125, Err: "no output descriptor"}, nil)
				continue
			}
			out, in := fds[0], -1
			if req.HasStdin && len(fds) > 1 {
				in = fds[1]
			} else if in, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
				in = -1
			}
			files := []uintptr{uintptr(in), uintptr(out), uintptr(out)}
			if in < 0 {
				files[0] = uintptr(out)
			}
			// Forked here, on the locked thread whose privileges were dropped.
			pid, err := startCommand(spec, req.Argv, req.Dir, files)
			notFound := errors.As(err, new(errNotFound))
			if notFound {
				_, _ = unix.Write(out, []byte("cadre: "+err.Error()+"\n"))
			}
			unix.Close(out)
			if in >= 0 {
				unix.Close(in)
			}
			switch {
			case notFound:
				_ = writeFrame(ctlFD, serverReply{Exit: 127}, nil)
				continue
			case err != nil:
				_ = writeFrame(ctlFD, serverReply{Exit: 126, Err: err.Error()}, nil)
				continue
			}
			mu.Lock()
			running, killed = true, false
			mu.Unlock()
			go func(pid int, timeout time.Duration) {
				timer := time.AfterFunc(timeout, func() {
					mu.Lock()
					killed = true
					mu.Unlock()
					killAll()
				})
				st := reapUntil(pid)
				timer.Stop()
				killAll()
				for {
					if _, err := syscall.Wait4(-1, nil, 0, nil); err == syscall.ECHILD {
						break
					}
				}
				mu.Lock()
				running = false
				timedOut := killed && req.Timeout > 0
				mu.Unlock()
				_ = writeFrame(ctlFD, serverReply{Exit: st.Exit, Signal: st.Signal, TimedOut: timedOut}, nil)
			}(pid, req.Timeout)
		}
	}
}

// shimRun sets the command's rlimits and execs it (server path).
func shimRun() int {
	var spec shimSpec
	if len(os.Args) < 3 || json.Unmarshal([]byte(os.Args[2]), &spec) != nil || len(spec.Argv) == 0 {
		fmt.Fprintln(os.Stderr, "cadre: bad shim invocation")
		return 125
	}
	if err := setRlimits(spec.Rlimits); err != nil {
		fmt.Fprintf(os.Stderr, "cadre: %v\n", err)
		return 125
	}
	path, err := lookPath(spec.Argv[0], os.Getenv("PATH"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cadre: %v\n", err)
		return 127
	}
	err = syscall.Exec(path, spec.Argv, os.Environ())
	fmt.Fprintf(os.Stderr, "cadre: exec %s: %v\n", spec.Argv[0], err)
	return 126
}

// serverRunner talks to one exec server.
type serverRunner struct {
	*confined
	mu     sync.Mutex
	helper *exec.Cmd
	ctl    int
	waitc  chan error
	closed bool
}

func startServer(c *confined) (*serverRunner, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: socketpair: %w", err)
	}
	remote := os.NewFile(uintptr(pair[1]), "ctl")
	defer remote.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		unix.Close(pair[0])
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer specW.Close()
	statR, statW, err := os.Pipe()
	if err != nil {
		specR.Close()
		unix.Close(pair[0])
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer statR.Close()
	h := &exec.Cmd{
		Path:        c.o.exe,
		Args:        []string{c.o.exe, serverArg},
		Env:         []string{},
		ExtraFiles:  []*os.File{specR, statW, remote},
		SysProcAttr: c.sysProcAttr(),
	}
	err = h.Start()
	specR.Close()
	statW.Close()
	if err != nil {
		unix.Close(pair[0])
		return nil, fmt.Errorf("%w: start exec server: %v", ErrUnavailable, err)
	}
	data, _ := json.Marshal(c.spec([]string{"server"}, c.p.Workdir))
	_, _ = specW.Write(data)
	specW.Close()
	r := &serverRunner{confined: c, helper: h, ctl: pair[0], waitc: make(chan error, 1)}
	go func() { r.waitc <- h.Wait() }()
	line, _ := io.ReadAll(statR)
	var st helperStatus
	if err := json.Unmarshal(bytes.TrimSpace(line), &st); err != nil || st.Stage != "" {
		_ = r.Close()
		if err != nil {
			return nil, fmt.Errorf("sandbox: exec server did not start: %s", bytes.TrimSpace(line))
		}
		return nil, setupErr(st)
	}
	return r, nil
}

func (r *serverRunner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	unix.Close(r.ctl)
	_ = r.helper.Process.Kill()
	<-r.waitc
	return nil
}

var errClosed = errors.New("sandbox: runner closed")

func (r *serverRunner) Run(ctx context.Context, cmd Command) (Result, error) {
	start := time.Now()
	dir, err := r.check(cmd)
	if err != nil {
		return Result{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Result{}, errClosed
	}
	if err := r.prepare(false); err != nil {
		return Result{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer outR.Close()
	fds := []int{int(outW.Fd())}
	var inW *os.File
	if len(cmd.Stdin) > 0 {
		inR, w, err := os.Pipe()
		if err != nil {
			outW.Close()
			return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
		}
		defer inR.Close()
		inW = w
		fds = append(fds, int(inR.Fd()))
	}
	req := serverRequest{Op: "run", Argv: cmd.Argv, Dir: dir, Timeout: r.timeout(cmd), HasStdin: inW != nil}
	err = writeFrame(r.ctl, req, fds)
	outW.Close()
	if err != nil {
		if inW != nil {
			inW.Close()
		}
		return Result{}, fmt.Errorf("sandbox: send to exec server: %w", err)
	}
	if inW != nil {
		go func() {
			_, _ = inW.Write(cmd.Stdin)
			inW.Close()
		}()
	}
	outc := make(chan captured, 1)
	go func() { outc <- capture(outR, r.rs.OutputBytes) }()
	type answer struct {
		rep serverReply
		err error
	}
	repc := make(chan answer, 1)
	go func() {
		var rep serverReply
		_, err := readFrame(r.ctl, &rep)
		repc <- answer{rep, err}
	}()
	var ans answer
	var ctxErr error
	select {
	case ans = <-repc:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		_ = writeFrame(r.ctl, serverRequest{Op: "kill"}, nil)
		ans = <-repc
	}
	if ans.err != nil {
		r.closed = true
		_ = r.helper.Process.Kill()
		return Result{}, fmt.Errorf("sandbox: exec server: %w", ans.err)
	}
	out := <-outc
	res := out.result()
	res.Duration = time.Since(start)
	if ans.rep.Err != "" {
		return res, fmt.Errorf("sandbox: exec server: %s", ans.rep.Err)
	}
	res.ExitCode, res.Signal, res.TimedOut = ans.rep.Exit, ans.rep.Signal, ans.rep.TimedOut && ctxErr == nil
	if ctxErr != nil {
		return res, fmt.Errorf("sandbox: command canceled: %w", ctxErr)
	}
	return res, nil
}
