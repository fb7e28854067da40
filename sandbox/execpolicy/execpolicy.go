// Package execpolicy decides, before anything runs, whether a command an
// agent asks for is allowed, needs an approval (prompt) or is forbidden.
//
// Rules are prefix rules loaded from TOML (see Parse); the strictest rule
// that matches wins (forbidden > prompt > allow). When no rule matches the
// caller's approval policy decides (Decision.Or). Shell scripts given as
// `bash -c SCRIPT` / `sh -c SCRIPT` are split into their simple commands
// (CheckScript); whatever cannot be reasoned about is at least "prompt".
package execpolicy

import (
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Kind is what may happen to a command.
type Kind int

const (
	// Unmatched: no rule matched; the caller's default applies.
	Unmatched Kind = iota
	Allow
	Prompt
	Forbidden
)

func (k Kind) String() string {
	switch k {
	case Allow:
		return "allow"
	case Prompt:
		return "prompt"
	case Forbidden:
		return "forbidden"
	}
	return "unmatched"
}

// ParseKind parses "allow", "prompt" or "forbidden".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "allow":
		return Allow, nil
	case "prompt":
		return Prompt, nil
	case "forbidden":
		return Forbidden, nil
	}
	return Unmatched, fmt.Errorf("unknown decision %q (want allow, prompt or forbidden)", s)
}

// rank orders kinds for combining the parts of a script: an unmatched part
// is stricter than an allowed one (the caller's default must still decide).
func rank(k Kind) int {
	switch k {
	case Allow:
		return 0
	case Unmatched:
		return 1
	case Prompt:
		return 2
	}
	return 3
}

// Rule is one prefix rule.
type Rule struct {
	Prefix   []string
	Decision Kind
	Reason   string
	Match    [][]string // examples that must match (checked on load)
	NotMatch [][]string // examples that must not match
	File     string     // where the rule was defined
	Line     int
}

// Matches reports whether argv starts with the rule's prefix (argv[0] is
// also compared by its base name, so /usr/bin/git matches "git").
func (r *Rule) Matches(argv []string) bool {
	if len(argv) < len(r.Prefix) || len(r.Prefix) == 0 {
		return false
	}
	for i, p := range r.Prefix {
		a := argv[i]
		if i == 0 && a != p && filepath.Base(a) == p {
			continue
		}
		if a != p {
			return false
		}
	}
	return true
}

// Where is "file:line" of the rule.
func (r *Rule) Where() string {
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return r.File
}

// Decision is the verdict on a command.
type Decision struct {
	Decision Kind
	Rule     *Rule  // the rule that decided; nil when unmatched or for a script verdict without one
	Reason   string // why (the rule's reason, or what made a script unparseable)
}

// Or returns the decision, or def when no rule matched.
func (d Decision) Or(def Kind) Kind {
	if d.Decision == Unmatched {
		return def
	}
	return d.Decision
}

// Policy is an ordered set of rules.
type Policy struct {
	rules []*Rule
}

// Rules returns the rules in load order.
func (p *Policy) Rules() []*Rule { return slices.Clone(p.rules) }

type fileRule struct {
	Prefix   []string   `toml:"prefix"`
	Decision string     `toml:"decision"`
	Reason   string     `toml:"reason"`
	Match    [][]string `toml:"match"`
	NotMatch [][]string `toml:"not_match"`
}

type file struct {
	Rule []fileRule `toml:"rule"`
}

var ruleHeader = regexp.MustCompile(`(?m)^[ \t]*\[\[[ \t]*rule[ \t]*\]\]`)

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("execpolicy: invalid rules")

// Parse reads a rules file. Errors name the file and the line.
func Parse(data []byte, filename string) (*Policy, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrInvalid, filename, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, filename, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%w: %s: unknown key %q", ErrInvalid, filename, und[0].String())
	}
	// Line of the i-th [[rule]] header.
	var lines []int
	for _, loc := range ruleHeader.FindAllIndex(data, -1) {
		lines = append(lines, 1+strings.Count(string(data[:loc[0]]), "\n"))
	}
	p := &Policy{}
	for i, fr := range f.Rule {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		where := fmt.Sprintf("%s:%d", filename, line)
		if len(fr.Prefix) == 0 {
			return nil, fmt.Errorf("%w: %s: rule has an empty prefix", ErrInvalid, where)
		}
		k, err := ParseKind(fr.Decision)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: rule %q: %v", ErrInvalid, where, fr.Prefix, err)
		}
		r := &Rule{Prefix: fr.Prefix, Decision: k, Reason: fr.Reason, Match: fr.Match, NotMatch: fr.NotMatch, File: filename, Line: line}
		for _, ex := range fr.Match {
			if !r.Matches(ex) {
				return nil, fmt.Errorf("%w: %s: rule %q: match example %q does not match", ErrInvalid, where, fr.Prefix, ex)
			}
		}
		for _, ex := range fr.NotMatch {
			if r.Matches(ex) {
				return nil, fmt.Errorf("%w: %s: rule %q: not_match example %q matches", ErrInvalid, where, fr.Prefix, ex)
			}
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

//go:embed default.toml
var defaultRules []byte

// Default returns the shipped rules (default.toml): git commands that change
// the repository are forbidden (the supervisor owns git), destructive and
// network commands prompt, read-only and build/test commands are allowed.
func Default() *Policy {
	p, err := Parse(defaultRules, "default.toml")
	if err != nil {
		panic(err) // the shipped file is checked by the tests
	}
	return p
}

// Merge returns a policy with the rules of p followed by those of others.
func (p *Policy) Merge(others ...*Policy) *Policy {
	out := &Policy{rules: slices.Clone(p.rules)}
	for _, o := range others {
		out.rules = append(out.rules, o.rules...)
	}
	return out
}

// AddRule appends a rule decided at run time (e.g. "always allow").
func (p *Policy) AddRule(prefix []string, decision Kind) *Rule {
	r := &Rule{Prefix: slices.Clone(prefix), Decision: decision, Reason: "added at run time", File: "<runtime>"}
	p.rules = append(p.rules, r)
	return r
}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true}

// Check decides on argv. `sh -c SCRIPT` and `bash -c SCRIPT` (also -lc)
// are decided by their script (CheckScript) and by any rule on the argv itself.
func (p *Policy) Check(argv []string) Decision {
	d := p.checkArgv(argv)
	if len(argv) >= 3 && shells[filepath.Base(argv[0])] && (argv[1] == "-c" || argv[1] == "-lc") {
		sd := p.CheckScript(argv[2])
		if d.Decision == Unmatched {
			return sd
		}
		return stricter(d, sd)
	}
	return d
}

func (p *Policy) checkArgv(argv []string) Decision {
	argv = stripEnv(argv)
	var best *Rule
	for _, r := range p.rules {
		if r.Matches(argv) && (best == nil || r.Decision > best.Decision) {
			best = r
		}
	}
	if best == nil {
		return Decision{Decision: Unmatched}
	}
	return Decision{Decision: best.Decision, Rule: best, Reason: best.Reason}
}

// stripEnv drops leading VAR=value words and an `env` wrapper.
func stripEnv(argv []string) []string {
	for len(argv) > 0 {
		a := argv[0]
		if a == "env" {
			argv = argv[1:]
			continue
		}
		if i := strings.IndexByte(a, '='); i > 0 && !strings.ContainsAny(a[:i], "/-.") {
			argv = argv[1:]
			continue
		}
		break
	}
	return argv
}

func stricter(a, b Decision) Decision {
	if rank(b.Decision) > rank(a.Decision) {
		return b
	}
	return a
}

// CheckScript decides on a shell script: it is split into simple commands
// on &&, ||, ;, |, & and newlines (quotes respected) and the strictest
// verdict wins. Constructs it cannot reason about (command substitution,
// subshells, here-docs, process substitution) make it at least "prompt".
func (p *Policy) CheckScript(script string) Decision {
	cmds, complexReason := splitScript(script)
	d := Decision{Decision: Allow}
	if len(cmds) == 0 {
		d = Decision{Decision: Unmatched}
	}
	for _, c := range cmds {
		d = stricter(d, p.Check(c))
	}
	if complexReason != "" {
		d = stricter(d, Decision{Decision: Prompt, Reason: "script uses " + complexReason + ", which is not checked"})
	}
	return d
}

// splitScript tokenizes a POSIX shell script into simple commands. It
// returns a non-empty reason when the script holds constructs it does not
// follow.
func splitScript(s string) (cmds [][]string, complexReason string) {
	var cur []string
	var word strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(cur) > 0 {
			cmds = append(cmds, dropRedirects(cur))
			cur = nil
		}
	}
	mark := func(r string) {
		if complexReason == "" {
			complexReason = r
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				mark("an unterminated quote")
				word.WriteString(s[i+1:])
				i = len(s)
			} else {
				word.WriteString(s[i+1 : i+1+j])
				i += j + 1
			}
			inWord = true
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0:
					i++
					word.WriteByte(s[i])
				case s[i] == '`' || (s[i] == '$' && i+1 < len(s) && s[i+1] == '('):
					mark("command substitution")
					word.WriteByte(s[i])
				default:
					word.WriteByte(s[i])
				}
			}
			if i >= len(s) {
				mark("an unterminated quote")
			}
		case c == '`' || (c == '$' && i+1 < len(s) && s[i+1] == '('):
			// Kept as one opaque word: its commands are not checked.
			mark("command substitution")
			end := substitutionEnd(s, i)
			word.WriteString(s[i:end])
			i = end - 1
			inWord = true
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			endCmd()
		case c == ' ' || c == '\t':
			endWord()
		case c == '\n' || c == ';' || c == '|' || c == '&':
			if c == '&' && inWord && i > 0 && (s[i-1] == '>' || s[i-1] == '<') {
				word.WriteByte(c) // 2>&1
				continue
			}
			endCmd()
		case c == '(' || c == ')' || c == '{' && !inWord || c == '}' && !inWord:
			if c == '(' && i > 0 && (s[i-1] == '<' || s[i-1] == '>') {
				mark("process substitution")
			} else {
				mark("subshells or groups")
			}
			endCmd()
		case c == '<' && i+1 < len(s) && s[i+1] == '<':
			mark("a here-document")
			word.WriteByte(c)
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds, complexReason
}

// substitutionEnd returns the index after the `...` or $(...) starting at i.
func substitutionEnd(s string, i int) int {
	if s[i] == '`' {
		if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
			return i + j + 2
		}
		return len(s)
	}
	depth := 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

var redirect = regexp.MustCompile(`^[0-9]*(>>?|<|>&|<&|&>)`)

// dropRedirects removes redirections (`>f`, `2>&1`, `< in`, `> out`).
func dropRedirects(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if loc := redirect.FindStringIndex(w); loc != nil {
			if loc[1] == len(w) && !strings.HasSuffix(w, "&") && i+1 < len(words) {
				i++ // target is the next word
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// Format renders a decision for `cadre policy check`: the verdict and the
// rule (file:line) that made it.
func Format(d Decision) string {
	switch {
	case d.Rule != nil:
		s := fmt.Sprintf("%s (rule %s: prefix %q)", d.Decision, d.Rule.Where(), d.Rule.Prefix)
		if d.Reason != "" {
			s += ": " + d.Reason
		}
		return s
	case d.Decision == Unmatched:
		return "unmatched: no rule applies; the approval policy decides"
	default:
		if d.Reason != "" {
			return d.Decision.String() + ": " + d.Reason
		}
		return d.Decision.String()
	}
}
