package tools

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Limits of read_file.
const (
	maxReadLines = 2000      // lines per call
	maxReadBytes = 256 << 10 // bytes of output per call
	maxLineBytes = 2000      // bytes shown of one line
	sniffBytes   = 8000      // bytes checked for NUL to detect binary files
)

func readFile(ctx context.Context, root string, a readFileArgs) (Result, error) {
	w, err := openWorktree(root)
	if err != nil {
		return Result{}, err
	}
	defer w.Close()
	rel, err := w.path(a.Path, true)
	if err != nil {
		return Result{}, err
	}
	fi, err := w.r.Stat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("%s: %w (list_files or search can find the right path)", a.Path, fs.ErrNotExist)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", a.Path, rootErr(err))
	}
	if fi.IsDir() {
		return Result{}, fmt.Errorf("%s is a directory; use list_files", a.Path)
	}
	if !fi.Mode().IsRegular() {
		return Result{}, fmt.Errorf("%s is not a regular file", a.Path)
	}
	f, err := w.r.Open(rel)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", a.Path, rootErr(err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(sniffBytes)
	if bytes.IndexByte(head, 0) >= 0 {
		return Result{}, fmt.Errorf("%w: %s (%d bytes) is not a text file; it is not shown", ErrBinary, a.Path, fi.Size())
	}
	offset, limit := a.Offset, a.Limit
	if offset < 1 {
		offset = 1
	}
	if limit < 1 || limit > maxReadLines {
		limit = maxReadLines
	}

	var out strings.Builder
	n, shown, next := 0, 0, 0 // lines read, lines shown, first line not shown
	capped := false
	for {
		line, cut, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", a.Path, err)
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		if n < offset || next != 0 {
			continue
		}
		if shown == limit {
			next = n
			continue
		}
		entry := fmt.Sprintf("%5d  %s", n, line)
		if cut > 0 {
			entry += fmt.Sprintf(" ... [%d more bytes on this line]", cut)
		}
		if out.Len()+len(entry)+1 > maxReadBytes && shown > 0 {
			next, capped = n, true
			continue
		}
		out.WriteString(entry)
		out.WriteByte('\n')
		shown++
	}
	switch {
	case n == 0:
		return Result{Output: "(empty file)"}, nil
	case offset > n:
		return Result{}, fmt.Errorf("offset %d is past the end of %s, which has %d lines", offset, a.Path, n)
	}
	if next != 0 {
		why := ""
		if capped {
			why = fmt.Sprintf(" (output capped at %d KiB)", maxReadBytes>>10)
		}
		fmt.Fprintf(&out, "... %d more lines%s; use offset=%d", n-next+1, why, next)
	}
	return Result{Output: strings.TrimSuffix(out.String(), "\n")}, nil
}

// readLine returns the next line without its line ending, keeping at most
// maxLineBytes of it (cut is how many bytes were dropped). It returns io.EOF
// only when no bytes are left.
func readLine(br *bufio.Reader) (line string, cut int, err error) {
	var buf []byte
	total := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		total += len(chunk)
		if room := maxLineBytes - len(buf); room > 0 {
			buf = append(buf, chunk[:min(room, len(chunk))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && total == 0 {
			return "", 0, io.EOF
		}
		if err != nil && err != io.EOF {
			return "", 0, err
		}
		break
	}
	cut = total - len(buf)
	if cut == 0 {
		buf = bytes.TrimSuffix(buf, []byte("\r"))
	}
	return string(buf), cut, nil
}
