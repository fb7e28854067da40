package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// SourceDefault is the provenance of a value nobody set.
const SourceDefault = "default"

// LoadOptions say where the layers of the configuration come from.
type LoadOptions struct {
	// Getenv reads the environment (for the user file's location and "~");
	// nil means os.Getenv. Tests pass a map lookup.
	Getenv func(string) string
	// UserFile is the user's configuration file; empty means
	// [UserConfigPath](Getenv).
	UserFile string
	// RepoRoot is the repository whose .cadre/config.toml is read; empty
	// means none.
	RepoRoot string
	// Overrides are applied last, in order: the flags the user set.
	Overrides []Override
}

// Override is one value set on the command line.
type Override struct {
	// Key is the dotted key, e.g. "model", "limits.max_turns" or
	// `budgets."/root".tokens`.
	Key string
	// Value is a string, bool, any integer or float type, time.Duration,
	// []string or map[string]string. A string is accepted for a duration.
	Value any
	// Source names it in provenance and errors, e.g. "flag --model".
	// Empty means "flag".
	Source string
}

// Loaded is the effective configuration with where each value came from.
type Loaded struct {
	Config Config
	// Warnings are problems that did not stop loading: unknown keys (with
	// the closest known key), Codex CLI keys cadre ignores, security-relevant
	// settings made by the repository's file.
	Warnings []string
	// Sources maps each dotted key that has a value to where it came from:
	// "default", "<file>:<line>" or an Override's Source. A named table
	// (`roles.coder`) maps to where it was last named.
	Sources map[string]string
	// Files are the configuration files that were read, in order.
	Files []string
}

// Source returns where the value of the dotted key came from, or "" when
// it has none.
func (l *Loaded) Source(key string) string { return l.Sources[key] }

// UserConfigPath is the user's configuration file:
// $XDG_CONFIG_HOME/cadre/config.toml when XDG_CONFIG_HOME is an absolute
// path, else $HOME/.config/cadre/config.toml, else "" (none).
func UserConfigPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "cadre", "config.toml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "cadre", "config.toml")
	}
	return ""
}

// RepoConfigPath is the configuration file of the repository at root.
func RepoConfigPath(root string) string {
	return filepath.Join(root, ".cadre", "config.toml")
}

// Load reads the layers, later ones overriding earlier ones key by key:
// defaults, the user file, the repository's file, then opts.Overrides.
// A missing file is skipped; a file that exists but cannot be read is an
// error wrapping the os error. Every problem with the content is an *Error
// wrapping [ErrInvalid]; when there are several, they are joined.
func Load(opts LoadOptions) (*Loaded, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	ld := newLoader(getenv)

	var files []string
	if f := opts.UserFile; f != "" {
		files = append(files, f)
	} else if f := UserConfigPath(getenv); f != "" {
		files = append(files, f)
	}
	repoFile := ""
	if opts.RepoRoot != "" {
		repoFile = RepoConfigPath(opts.RepoRoot)
		files = append(files, repoFile)
	}
	for i, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			files[i] = abs
			if f == repoFile {
				repoFile = abs
			}
		}
	}

	var read []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
		read = append(read, f)
		root, err := parseFile(f, data)
		if err != nil {
			return nil, err
		}
		ld.apply(layer{label: f, file: true, dir: filepath.Dir(f)}, root)
	}
	for _, o := range opts.Overrides {
		src := o.Source
		if src == "" {
			src = "flag"
		}
		root, err := overrideTree(o)
		if err != nil {
			ld.errs = append(ld.errs, &Error{Where: src, Key: o.Key, Msg: err.Error()})
			continue
		}
		ld.apply(layer{label: src}, root)
	}
	if len(ld.errs) == 0 {
		ld.validate()
	}
	if len(ld.errs) > 0 {
		return nil, errors.Join(ld.errs...)
	}
	if repoFile != "" {
		ld.repoWarnings(repoFile)
	}
	return &Loaded{Config: *ld.cfg, Warnings: ld.warns, Sources: ld.sources, Files: read}, nil
}

// node is one key of a layer: a table (kids != nil) or a value.
type node struct {
	val  any // the TOML value: string, int64, float64, bool, time.Time, []any, ...
	line int // 1-based line in the file; 0 when unknown or not from a file
	kids map[string]*node
}

func (n *node) isTable() bool { return n.kids != nil }

// keys returns the names of n's children in file order.
func (n *node) keys() []string {
	ks := make([]string, 0, len(n.kids))
	for k := range n.kids {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b string) int {
		if la, lb := n.kids[a].line, n.kids[b].line; la != lb {
			return la - lb
		}
		return strings.Compare(a, b)
	})
	return ks
}

// errProbe stops the decoding of one value so that its line is known.
var errProbe = errors.New("probe")

// probe captures a raw TOML value. BurntSushi/toml has no API for the line
// of a key, but an Unmarshaler's error comes back as a ParseError carrying
// the position of the key being decoded; decoding each Primitive into a
// probe therefore yields both the value and its line.
type probe struct{ data any }

func (p *probe) UnmarshalTOML(v any) error { p.data = v; return errProbe }

// parseFile turns a TOML file into a tree of nodes with lines.
func parseFile(path string, data []byte) (*node, error) {
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(data), &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Where: fmt.Sprintf("%s:%d", path, pe.Position.Line), Msg: "TOML syntax error: " + pe.Message}
		}
		return nil, &Error{Where: path, Msg: err.Error()}
	}
	root := &node{kids: map[string]*node{}}
	for k, p := range top {
		n, err := walk(&md, p, data)
		if err != nil {
			return nil, &Error{Where: path, Key: k, Msg: err.Error()}
		}
		root.kids[k] = n
	}
	return root, nil
}

func walk(md *toml.MetaData, p toml.Primitive, data []byte) (*node, error) {
	var pr probe
	n := &node{}
	err := md.PrimitiveDecode(p, &pr)
	var pe toml.ParseError
	switch {
	case errors.As(err, &pe):
		// Position.Line is where the value's token ends (the last line of
		// a multi-line string); Start is where it begins.
		if pe.Position.Line > 0 && pe.Position.Start <= len(data) {
			n.line = 1 + bytes.Count(data[:pe.Position.Start], []byte("\n"))
		}
	case err != nil:
		return nil, err
	}
	n.val = pr.data
	if _, ok := pr.data.(map[string]any); !ok {
		return n, nil
	}
	var m map[string]toml.Primitive
	if err := md.PrimitiveDecode(p, &m); err != nil {
		return nil, err
	}
	n.kids = make(map[string]*node, len(m))
	first := 0
	for k, cp := range m {
		c, err := walk(md, cp, data)
		if err != nil {
			return nil, err
		}
		n.kids[k] = c
		if c.line > 0 && (first == 0 || c.line < first) {
			first = c.line
		}
	}
	if n.line == 0 {
		// An implicit table ("a" of "[a.b]" or "a.b = 1") has no line of
		// its own: use its first child's.
		n.line = first
	}
	return n, nil
}

// overrideTree turns an Override into a tree like a file's, without lines.
func overrideTree(o Override) (*node, error) {
	path, err := splitKey(o.Key)
	if err != nil {
		return nil, err
	}
	leaf := valueNode(o.Value)
	for i := len(path) - 1; i >= 0; i-- {
		leaf = &node{kids: map[string]*node{path[i]: leaf}}
	}
	return leaf, nil
}

func valueNode(v any) *node {
	switch v := v.(type) {
	case map[string]string:
		n := &node{val: map[string]any{}, kids: map[string]*node{}}
		for k, s := range v {
			n.kids[k] = &node{val: s}
		}
		return n
	case []string:
		a := make([]any, len(v))
		for i, s := range v {
			a[i] = s
		}
		return &node{val: a}
	case int:
		return &node{val: int64(v)}
	case int8:
		return &node{val: int64(v)}
	case int16:
		return &node{val: int64(v)}
	case int32:
		return &node{val: int64(v)}
	case uint:
		return &node{val: int64(v)}
	case uint8:
		return &node{val: int64(v)}
	case uint16:
		return &node{val: int64(v)}
	case uint32:
		return &node{val: int64(v)}
	case uint64:
		return &node{val: int64(v)}
	case float32:
		return &node{val: float64(v)}
	}
	return &node{val: v}
}

// splitKey splits a dotted key, honouring TOML's quoted parts:
// `budgets."/root".tokens` is budgets, /root, tokens.
func splitKey(s string) ([]string, error) {
	var parts []string
	for s != "" {
		var part string
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in key")
			}
			part, s = s[1:end+1], s[end+2:]
		} else {
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			part, s = strings.TrimSpace(s[:end]), s[end:]
			if part == "" {
				return nil, fmt.Errorf("empty part in key")
			}
		}
		parts = append(parts, part)
		if s != "" {
			if s[0] != '.' || len(s) == 1 {
				return nil, fmt.Errorf("malformed key")
			}
			s = s[1:]
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("empty key")
	}
	return parts, nil
}
