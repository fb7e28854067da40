package tools

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Patch markers.
const (
	beginMarker  = "*** Begin Patch"
	endMarker    = "*** End Patch"
	addPrefix    = "*** Add File: "
	deletePrefix = "*** Delete File: "
	updatePrefix = "*** Update File: "
	movePrefix   = "*** Move to: "
	eofMarker    = "*** End of File"
)

// OpKind says what a FileOp does.
type OpKind int

// The kinds of file operation in a patch.
const (
	OpAdd OpKind = iota + 1
	OpDelete
	OpUpdate
)

func (k OpKind) String() string {
	switch k {
	case OpAdd:
		return "add"
	case OpDelete:
		return "delete"
	case OpUpdate:
		return "update"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// MarshalText writes the kind as its name.
func (k OpKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Patch is a parsed apply_patch text: file operations in patch order.
type Patch struct {
	Ops []FileOp `json:"ops"`
}

// FileOp is one "*** Add File", "*** Delete File" or "*** Update File"
// section.
type FileOp struct {
	Kind OpKind `json:"kind"`
	// Path is the file as written in the patch.
	Path string `json:"path"`
	// MoveTo is the new path of an update with "*** Move to:", else empty.
	MoveTo string `json:"move_to,omitempty"`
	// Contents is the whole text of an added file.
	Contents string `json:"contents,omitempty"`
	// Chunks are the "@@" hunks of an update.
	Chunks []Chunk `json:"chunks,omitempty"`
	// Line is the 1-based line of the section header in the patch text.
	Line int `json:"line"`
}

// Chunk is one "@@" hunk of an update.
type Chunk struct {
	// Anchors are the texts after "@@" (e.g. a func header), each located in
	// the file in order before the hunk's lines are.
	Anchors []string `json:"anchors,omitempty"`
	// Lines are the hunk's lines in order.
	Lines []ChunkLine `json:"lines"`
	// EOF is set by "*** End of File": the hunk ends at the end of the file.
	EOF bool `json:"eof,omitempty"`
	// Line is the 1-based line where the hunk starts in the patch text.
	Line int `json:"line"`
}

// ChunkLine is one line of a hunk. Op is ' ' (context), '-' (removed) or
// '+' (added); Text is the line without that prefix.
type ChunkLine struct {
	Op   string
	Text string
}

// MarshalJSON writes a line as in the patch: its op followed by its text.
func (l ChunkLine) MarshalJSON() ([]byte, error) { return json.Marshal(l.Op + l.Text) }

// UnmarshalJSON reads what MarshalJSON writes.
func (l *ChunkLine) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s == "" || !strings.ContainsAny(s[:1], " +-") {
		return fmt.Errorf("chunk line %q must start with ' ', '+' or '-'", s)
	}
	l.Op, l.Text = s[:1], s[1:]
	return nil
}

// Old is the text the hunk expects in the file: context and removed lines.
func (c *Chunk) Old() []string { return c.side("-") }

// New is the text the hunk leaves in the file: context and added lines.
func (c *Chunk) New() []string { return c.side("+") }

func (c *Chunk) side(op string) []string {
	var out []string
	for _, l := range c.Lines {
		if l.Op == " " || l.Op == op {
			out = append(out, l.Text)
		}
	}
	return out
}

func isFileHeader(line string) bool {
	return strings.HasPrefix(line, addPrefix) || strings.HasPrefix(line, deletePrefix) ||
		strings.HasPrefix(line, updatePrefix)
}

// unifiedHeader matches a git-style "@@ -1,3 +1,4 @@ text" hunk header; the
// line numbers are ignored and the trailing text, if any, is the anchor.
var unifiedHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(.*)$`)

// heredocStart matches the first line of a heredoc-wrapped patch; the
// group is the closing tag.
var heredocStart = regexp.MustCompile(`^(?:apply_patch\s+)?<<-?\s*['"]?(\w+)['"]?$`)

// ParsePatch parses the apply_patch format:
//
//	*** Begin Patch
//	*** Add File: path/new.go
//	+line
//	*** Update File: path/old.go
//	*** Move to: path/renamed.go
//	@@ optional anchor line
//	 context
//	-removed
//	+added
//	*** End of File
//	*** Delete File: path/gone.go
//	*** End Patch
//
// Blank lines around the patch and between sections are ignored, so is a
// shell heredoc wrapper (apply_patch <<'EOF' ... EOF), "\r\n" is
// read as "\n", and the first hunk of an update may omit its "@@". Errors
// wrap ErrPatch and give the patch line.
func ParsePatch(text string) (*Patch, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	first, last := 0, len(lines)-1
	for first <= last && strings.TrimSpace(lines[first]) == "" {
		first++
	}
	for last >= first && strings.TrimSpace(lines[last]) == "" {
		last--
	}
	if first > last {
		return nil, fmt.Errorf("%w: the patch is empty; it must start with %q and end with %q", ErrPatch, beginMarker, endMarker)
	}
	// A patch wrapped in a shell heredoc (apply_patch <<'EOF' ... EOF), as
	// models used to the shell form sometimes send it.
	if m := heredocStart.FindStringSubmatch(strings.TrimSpace(lines[first])); m != nil && first < last &&
		strings.TrimSpace(lines[last]) == m[1] {
		first++
		last--
		for first <= last && strings.TrimSpace(lines[first]) == "" {
			first++
		}
		for last >= first && strings.TrimSpace(lines[last]) == "" {
			last--
		}
		if first > last {
			return nil, fmt.Errorf("%w: the patch is empty; it must start with %q and end with %q", ErrPatch, beginMarker, endMarker)
		}
	}
	if strings.TrimSpace(lines[first]) != beginMarker {
		return nil, fmt.Errorf("%w: line %d: the first line must be %q, got %q", ErrPatch, first+1, beginMarker, clip(lines[first]))
	}
	if first == last || strings.TrimSpace(lines[last]) != endMarker {
		return nil, fmt.Errorf("%w: line %d: the last line must be %q, got %q", ErrPatch, last+1, endMarker, clip(lines[last]))
	}
	p := &parser{lines: lines, i: first + 1, end: last}
	patch := &Patch{}
	for p.i < p.end {
		line := p.lines[p.i]
		n := p.i + 1
		switch {
		case strings.TrimSpace(line) == "":
			p.i++
		case strings.HasPrefix(line, addPrefix):
			op, err := p.add(headerPath(line, addPrefix), n)
			if err != nil {
				return nil, err
			}
			patch.Ops = append(patch.Ops, op)
		case strings.HasPrefix(line, deletePrefix):
			path := headerPath(line, deletePrefix)
			if path == "" {
				return nil, fmt.Errorf("%w: line %d: %q needs a path", ErrPatch, n, strings.TrimSpace(deletePrefix))
			}
			patch.Ops = append(patch.Ops, FileOp{Kind: OpDelete, Path: path, Line: n})
			p.i++
		case strings.HasPrefix(line, updatePrefix):
			op, err := p.update(headerPath(line, updatePrefix), n)
			if err != nil {
				return nil, err
			}
			patch.Ops = append(patch.Ops, op)
		case strings.TrimSpace(line) == endMarker:
			return nil, fmt.Errorf("%w: line %d: %q before the end of the patch", ErrPatch, n, endMarker)
		default:
			return nil, fmt.Errorf("%w: line %d: expected %q, %q or %q followed by a path, got %q",
				ErrPatch, n, strings.TrimSpace(addPrefix), strings.TrimSpace(updatePrefix), strings.TrimSpace(deletePrefix), clip(line))
		}
	}
	if len(patch.Ops) == 0 {
		return nil, fmt.Errorf("%w: the patch has no file sections", ErrPatch)
	}
	return patch, nil
}

type parser struct {
	lines []string
	i     int // next line, 0-based
	end   int // index of the "*** End Patch" line
}

func headerPath(line, prefix string) string {
	return strings.TrimSpace(strings.TrimPrefix(line, prefix))
}

func (p *parser) add(path string, n int) (FileOp, error) {
	if path == "" {
		return FileOp{}, fmt.Errorf("%w: line %d: %q needs a path", ErrPatch, n, strings.TrimSpace(addPrefix))
	}
	p.i++
	var body []string
	for ; p.i < p.end && !isFileHeader(p.lines[p.i]); p.i++ {
		line := p.lines[p.i]
		if !strings.HasPrefix(line, "+") {
			if strings.TrimSpace(line) == "" && p.restBlank() {
				break
			}
			return FileOp{}, fmt.Errorf("%w: line %d: in Add File %s, every line must start with '+', got %q", ErrPatch, p.i+1, path, clip(line))
		}
		body = append(body, line[1:])
	}
	contents := ""
	if len(body) > 0 {
		contents = strings.Join(body, "\n") + "\n"
	}
	return FileOp{Kind: OpAdd, Path: path, Contents: contents, Line: n}, nil
}

// restBlank reports whether the lines from the current one up to the next
// file header or the end are all blank (separators, not content).
func (p *parser) restBlank() bool {
	for j := p.i; j < p.end && !isFileHeader(p.lines[j]); j++ {
		if strings.TrimSpace(p.lines[j]) != "" {
			return false
		}
	}
	return true
}

func (p *parser) update(path string, n int) (FileOp, error) {
	if path == "" {
		return FileOp{}, fmt.Errorf("%w: line %d: %q needs a path", ErrPatch, n, strings.TrimSpace(updatePrefix))
	}
	op := FileOp{Kind: OpUpdate, Path: path, Line: n}
	p.i++
	if p.i < p.end && strings.HasPrefix(p.lines[p.i], movePrefix) {
		op.MoveTo = headerPath(p.lines[p.i], movePrefix)
		if op.MoveTo == "" {
			return FileOp{}, fmt.Errorf("%w: line %d: %q needs a path", ErrPatch, p.i+1, strings.TrimSpace(movePrefix))
		}
		p.i++
	}
	var cur *Chunk
	finish := func() error {
		if cur == nil {
			return nil
		}
		if len(cur.Lines) == 0 {
			return fmt.Errorf("%w: line %d: in Update File %s, hunk %d has no lines", ErrPatch, cur.Line, path, len(op.Chunks)+1)
		}
		op.Chunks = append(op.Chunks, *cur)
		cur = nil
		return nil
	}
	for ; p.i < p.end && !isFileHeader(p.lines[p.i]); p.i++ {
		line := p.lines[p.i]
		ln := p.i + 1
		if strings.HasPrefix(line, "@@") {
			anchor := ""
			if m := unifiedHeader.FindStringSubmatch(line); m != nil {
				anchor = m[1]
			} else {
				anchor = strings.TrimPrefix(line[2:], " ")
			}
			if cur == nil || len(cur.Lines) > 0 {
				if err := finish(); err != nil {
					return FileOp{}, err
				}
				cur = &Chunk{Line: ln}
			}
			if strings.TrimSpace(anchor) != "" {
				cur.Anchors = append(cur.Anchors, anchor)
			}
			continue
		}
		if strings.TrimRight(line, " \t") == eofMarker {
			if cur == nil || len(cur.Lines) == 0 {
				return FileOp{}, fmt.Errorf("%w: line %d: in Update File %s, %q must follow a hunk's lines", ErrPatch, ln, path, eofMarker)
			}
			cur.EOF = true
			if err := finish(); err != nil {
				return FileOp{}, err
			}
			continue
		}
		if line == "" && p.restBlank() {
			break // blank separator lines before the next section
		}
		var cl ChunkLine
		switch {
		case line == "":
			cl = ChunkLine{Op: " ", Text: ""}
		case line[0] == ' ' || line[0] == '-' || line[0] == '+':
			cl = ChunkLine{Op: line[:1], Text: line[1:]}
		default:
			return FileOp{}, fmt.Errorf("%w: line %d: in Update File %s, every hunk line must start with ' ' (context), '-', '+' or \"@@\", got %q",
				ErrPatch, ln, path, clip(line))
		}
		if cur == nil {
			cur = &Chunk{Line: ln}
		}
		cur.Lines = append(cur.Lines, cl)
	}
	if err := finish(); err != nil {
		return FileOp{}, err
	}
	if len(op.Chunks) == 0 && op.MoveTo == "" {
		return FileOp{}, fmt.Errorf("%w: line %d: Update File %s has no hunks", ErrPatch, n, path)
	}
	return op, nil
}

// clip shortens a line quoted in an error message.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
