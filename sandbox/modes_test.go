package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// testMode runs inside the sandbox: the test binary re-executed as a
// command (CADRE_TEST_MODE set through Policy.Env).
func testMode(mode string, args []string) int {
	switch mode {
	case "dial": // dial NETWORK ADDR
		c, err := net.DialTimeout(args[0], args[1], 5*time.Second)
		if err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		c.Close()
		fmt.Println("CONNECTED")
		return 0
	case "udp": // udp ADDR: send a datagram, wait for the echo
		c, err := net.Dial("udp", args[0])
		if err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		buf := make([]byte, 16)
		if _, err := c.Read(buf); err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		fmt.Println("CONNECTED")
		return 0
	case "serve": // serve PORT BOUND_FIFO RELEASE_FIFO
		l, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		defer l.Close()
		go func() {
			if c, err := l.Accept(); err == nil {
				_, _ = c.Write([]byte("hello"))
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			fmt.Println("FAILED:", err)
			return 1
		}
		buf := make([]byte, 5)
		_, err = c.Read(buf)
		c.Close()
		if err != nil || string(buf) != "hello" {
			fmt.Println("FAILED: echo", err)
			return 1
		}
		if len(args) > 2 {
			if err := os.WriteFile(args[1], []byte("bound\n"), 0); err != nil {
				fmt.Println("FAILED:", err)
				return 1
			}
			if _, err := os.ReadFile(args[2]); err != nil {
				fmt.Println("FAILED:", err)
				return 1
			}
		}
		fmt.Println("SERVED")
		return 0
	case "fork": // fork N: start N sleeping children
		n, _ := strconv.Atoi(args[0])
		var started []*exec.Cmd
		var ferr error
		for range n {
			c := exec.Command("sleep", "1000")
			if ferr = c.Start(); ferr != nil {
				break
			}
			started = append(started, c)
		}
		for _, c := range started {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		fmt.Printf("started %d of %d: %v\n", len(started), n, ferr)
		if errors.Is(ferr, nil) {
			return 0
		}
		return 3
	}
	fmt.Println("unknown mode", mode)
	return 2
}
