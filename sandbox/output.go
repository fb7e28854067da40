package sandbox

import (
	"fmt"
	"io"
)

type captured struct {
	data      []byte
	truncated bool
	total     int64
}

func (c captured) result() Result {
	r := Result{Output: c.data, Truncated: c.truncated}
	if c.truncated {
		r.Output = append(r.Output, fmt.Sprintf("\n[cadre: output truncated after %d bytes]\n", len(c.data))...)
	}
	return r
}

// capture reads r to EOF, keeping at most max bytes and discarding the rest
// so the writer never blocks on a full pipe.
func capture(r io.Reader, max int) captured {
	var c captured
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.total += int64(n)
			if room := max - len(c.data); room > 0 {
				take := min(room, n)
				c.data = append(c.data, buf[:take]...)
				if take < n {
					c.truncated = true
				}
			} else {
				c.truncated = true
			}
		}
		if err != nil {
			return c
		}
	}
}
