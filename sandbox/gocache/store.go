package gocache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// hashSize is the size of action and output IDs (SHA-256).
const hashSize = sha256.Size

// entryLen is the exact length of an action entry file in Go's on-disk cache:
// "v1 <hex action> <hex output> <%20d size> <%20d unixnano>\n".
const entryLen = 2 + 1 + 2*hashSize + 1 + 2*hashSize + 1 + 20 + 1 + 20 + 1

// entry is a parsed action entry plus the file holding its output.
type entry struct {
	outputID []byte
	size     int64
	time     time.Time
	diskPath string
}

// errMiss reports that a cache directory holds no usable entry.
var errMiss = errors.New("cache miss")

// layerPath returns the path of id's file with the given suffix ("a" for the
// action entry, "d" for output data) in the Go cache directory dir.
func layerPath(dir string, id []byte, suffix string) string {
	h := hex.EncodeToString(id)
	return filepath.Join(dir, h[:2], h+"-"+suffix)
}

// lookup reads actionID's entry from the Go cache directory dir. It only
// opens files for reading and never changes them. Anything missing, corrupt,
// truncated or inconsistent is reported as errMiss (wrapped with the reason).
func lookup(dir string, actionID []byte) (entry, error) {
	if dir == "" {
		return entry{}, errMiss
	}
	name := layerPath(dir, actionID, "a")
	f, err := os.Open(name)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %v", errMiss, err)
	}
	defer f.Close()
	buf := make([]byte, entryLen+1) // one more byte to notice a too-long file
	n, err := io.ReadFull(f, buf)
	if err != io.ErrUnexpectedEOF || n != entryLen {
		return entry{}, fmt.Errorf("%w: entry %s has %d bytes, want %d", errMiss, name, n, entryLen)
	}
	e, err := parseEntry(buf[:n], actionID)
	if err != nil {
		return entry{}, fmt.Errorf("%w: entry %s: %v", errMiss, name, err)
	}
	e.diskPath, err = outputPath(dir, e.outputID, e.size)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %v", errMiss, err)
	}
	return e, nil
}

// parseEntry parses an action entry file of exactly entryLen bytes and checks
// that it belongs to actionID.
func parseEntry(b []byte, actionID []byte) (entry, error) {
	const (
		aStart = 3
		oStart = aStart + 2*hashSize + 1
		sStart = oStart + 2*hashSize + 1
		tStart = sStart + 20 + 1
	)
	if string(b[:aStart]) != "v1 " || b[oStart-1] != ' ' || b[sStart-1] != ' ' || b[tStart-1] != ' ' || b[entryLen-1] != '\n' {
		return entry{}, errors.New("invalid header")
	}
	aid, err := hex.DecodeString(string(b[aStart : oStart-1]))
	if err != nil {
		return entry{}, fmt.Errorf("decoding action ID: %w", err)
	}
	if string(aid) != string(actionID) {
		return entry{}, errors.New("mismatched action ID")
	}
	oid, err := hex.DecodeString(string(b[oStart : sStart-1]))
	if err != nil {
		return entry{}, fmt.Errorf("decoding output ID: %w", err)
	}
	size, err := parsePadded(b[sStart : tStart-1])
	if err != nil {
		return entry{}, fmt.Errorf("parsing size: %w", err)
	}
	nano, err := parsePadded(b[tStart : entryLen-1])
	if err != nil {
		return entry{}, fmt.Errorf("parsing time: %w", err)
	}
	return entry{outputID: oid, size: size, time: time.Unix(0, nano)}, nil
}

// parsePadded parses a non-negative decimal left-padded with spaces.
func parsePadded(b []byte) (int64, error) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	v, err := strconv.ParseInt(string(b[i:]), 10, 64)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative value %d", v)
	}
	return v, nil
}

// outputPath returns the file holding outputID in dir, checking that it is a
// regular file of the recorded size. Go stores cached executables as a
// directory "<id>-d" holding exactly one file; that file is returned then.
func outputPath(dir string, outputID []byte, size int64) (string, error) {
	name := layerPath(dir, outputID, "d")
	fi, err := os.Stat(name)
	if err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	if fi.IsDir() {
		des, err := os.ReadDir(name)
		if err != nil {
			return "", fmt.Errorf("output directory: %w", err)
		}
		if len(des) != 1 {
			return "", fmt.Errorf("output directory %s has %d entries, want 1", name, len(des))
		}
		name = filepath.Join(name, des[0].Name())
		if fi, err = os.Stat(name); err != nil {
			return "", fmt.Errorf("output: %w", err)
		}
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("output %s is not a regular file", name)
	}
	if fi.Size() != size {
		return "", fmt.Errorf("output %s has %d bytes, entry says %d", name, fi.Size(), size)
	}
	return name, nil
}

// store writes actionID -> (outputID, body) into the Go cache directory dir
// and returns the output file's path. body must yield exactly size bytes
// whose SHA-256 is outputID. Both files are written to a temporary name and
// renamed into place, output first, so a reader never sees a partial entry.
func store(dir string, actionID, outputID []byte, body io.Reader, size int64) (string, error) {
	out := layerPath(dir, outputID, "d")
	h := sha256.New()
	err := writeAtomic(out, func(w io.Writer) error {
		n, err := io.Copy(io.MultiWriter(w, h), body)
		if err != nil {
			return fmt.Errorf("reading body: %w", err)
		}
		if n != size {
			return fmt.Errorf("body has %d bytes, BodySize says %d", n, size)
		}
		if got := h.Sum(nil); string(got) != string(outputID) {
			return fmt.Errorf("body hashes to %x, OutputID is %x", got, outputID)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	line := fmt.Sprintf("v1 %x %x %20d %20d\n", actionID, outputID, size, time.Now().UnixNano())
	err = writeAtomic(layerPath(dir, actionID, "a"), func(w io.Writer) error {
		_, err := io.WriteString(w, line)
		return err
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// writeAtomic creates name with the content written by fill, through a
// temporary file in the same directory that is renamed over name on success
// and removed on failure.
func writeAtomic(name string, fill func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return fmt.Errorf("creating cache subdirectory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return fmt.Errorf("renaming into %s: %w", name, err)
	}
	return nil
}
