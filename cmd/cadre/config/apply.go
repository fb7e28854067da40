package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/cadre-dev/cadre/messaging"
)

// layer is one source of values: a file or one override.
type layer struct {
	label string // the file's path, or the override's Source
	file  bool
	dir   string // directory relative paths are resolved against; "" for flags
}

func (l layer) where(line int) string {
	if l.file && line > 0 {
		return fmt.Sprintf("%s:%d", l.label, line)
	}
	return l.label
}

// rule is what a key accepts beyond its Go type. Keys are schema paths: the
// dotted key with "*" for the name of an entry of a named table.
type rule struct {
	enum  []string
	alias map[string]string // accepted value -> stored value
	min   int64             // numbers below are an error (0 unless set)
	ms    bool              // a time.Duration set as integer milliseconds
	path  bool              // a file path, resolved and checked to exist
}

var rules = map[string]rule{
	"approval_policy":                          {enum: []string{ApprovalUntrusted, ApprovalOnRequest, ApprovalNever}},
	"sandbox_mode":                             {enum: []string{SandboxWorkspaceWrite, SandboxOff}, alias: map[string]string{"danger-full-access": SandboxOff}},
	"model_providers.*.wire_api":               {enum: []string{WireResponses, WireChat}},
	"model_providers.*.stream_idle_timeout_ms": {ms: true, min: 1},
	"roles.*.instructions_file":                {path: true},
	"limits.max_working":                       {min: 1},
	"limits.max_turns":                         {min: 1},
	"limits.max_agents":                        {min: 1},
}

// codexIgnored are Codex CLI keys that cadre reads past with a warning of
// its own rather than "unknown key", by schema path of their table.
var codexIgnored = map[string][]string{
	"": {
		"chatgpt_base_url", "disable_response_storage", "experimental_instructions_file",
		"features", "file_opener", "forced_login_method", "hide_agent_reasoning", "history",
		"mcp_servers", "model_max_output_tokens", "model_reasoning_effort",
		"model_reasoning_summary", "model_supports_reasoning_summaries", "model_verbosity",
		"otel", "preferred_auth_method", "profile", "profiles", "project_doc_max_bytes",
		"projects", "sandbox_workspace_write", "shell_environment_policy",
		"show_raw_agent_reasoning", "tools", "tui",
	},
	"model_providers.*": {"requires_openai_auth"},
}

var durationType = reflect.TypeFor[time.Duration]()

type loader struct {
	getenv  func(string) string
	cfg     *Config
	sources map[string]string
	warns   []string
	errs    []error
}

func newLoader(getenv func(string) string) *loader {
	cfg := Default()
	ld := &loader{getenv: getenv, cfg: &cfg, sources: map[string]string{}}
	ld.recordDefaults(reflect.ValueOf(cfg), nil)
	return ld
}

// recordDefaults gives every non-zero value of v the source "default".
func (ld *loader) recordDefaults(v reflect.Value, key toml.Key) {
	for _, f := range fieldsOf(v.Type()) {
		fv, k := v.Field(f.index), with(key, f.name)
		switch {
		case f.typ.Kind() == reflect.Struct && f.typ != durationType:
			ld.recordDefaults(fv, k)
		case f.typ.Kind() == reflect.Map && f.typ.Elem().Kind() == reflect.Struct:
			for _, id := range fv.MapKeys() {
				ld.sources[with(k, id.String()).String()] = SourceDefault
				ld.recordDefaults(fv.MapIndex(id), with(k, id.String()))
			}
		case !fv.IsZero():
			ld.sources[k.String()] = SourceDefault
		}
	}
}

func (ld *loader) warnf(format string, args ...any) {
	ld.warns = append(ld.warns, fmt.Sprintf(format, args...))
}

// applier applies one layer to the loader's Config.
type applier struct {
	*loader
	l layer
}

func (ld *loader) apply(l layer, root *node) {
	a := applier{ld, l}
	a.table(reflect.ValueOf(ld.cfg).Elem(), root, nil, "")
}

func (a applier) fail(n *node, key toml.Key, format string, args ...any) {
	a.errs = append(a.errs, &Error{Where: a.l.where(n.line), Key: key.String(), Msg: fmt.Sprintf(format, args...)})
}

func (a applier) typeErr(n *node, key toml.Key, want string) {
	a.fail(n, key, "expected %s, got %s", want, describe(n.val))
}

func (a applier) set(n *node, key toml.Key) { a.sources[key.String()] = a.l.where(n.line) }

// table applies the children of n to the struct rv.
func (a applier) table(rv reflect.Value, n *node, key toml.Key, spath string) {
	fields := fieldsOf(rv.Type())
	for _, name := range n.keys() {
		c, k := n.kids[name], with(key, name)
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == name })
		if i < 0 {
			a.unknown(c, k, fields, spath)
			continue
		}
		a.value(rv.Field(fields[i].index), c, k, join(spath, name))
	}
}

func (a applier) value(rv reflect.Value, n *node, key toml.Key, spath string) {
	r := rules[spath]
	t := rv.Type()
	switch {
	case t == durationType:
		a.duration(rv, n, key, r)
	case t.Kind() == reflect.Pointer: // *int: optional integer
		if i, ok := a.integer(n, key, r); ok {
			p := reflect.New(t.Elem())
			p.Elem().SetInt(i)
			rv.Set(p)
			a.set(n, key)
		}
	case t.Kind() == reflect.Struct:
		if !n.isTable() {
			a.typeErr(n, key, "a table")
			return
		}
		a.table(rv, n, key, spath)
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
		a.stringTable(rv, n, key)
	case t.Kind() == reflect.Map:
		a.named(rv, n, key, spath)
	case t.Kind() == reflect.Slice:
		a.stringArray(rv, n, key)
	case t.Kind() == reflect.String:
		s, ok := n.val.(string)
		if !ok || n.isTable() {
			a.tableHint(n, key, "a string")
			return
		}
		if s, ok = a.check(s, n, key, r); ok {
			rv.SetString(s)
			a.set(n, key)
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if i, ok := a.integer(n, key, r); ok {
			rv.SetInt(i)
			a.set(n, key)
		}
	case t.Kind() == reflect.Float64:
		var f float64
		switch v := n.val.(type) {
		case float64:
			f = v
		case int64:
			f = float64(v)
		default:
			a.typeErr(n, key, "a number")
			return
		}
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			a.fail(n, key, "expected a finite number, got %v", f)
		case f < float64(r.min):
			a.fail(n, key, "must not be negative, got %v", f)
		default:
			rv.SetFloat(f)
			a.set(n, key)
		}
	default:
		panic("config: no decoder for " + t.String())
	}
}

// tableHint reports a type error; when a table was given to a key whose
// name is close to a table key ("model_provider" for "model_providers"), it
// says so.
func (a applier) tableHint(n *node, key toml.Key, want string) {
	if n.isTable() && len(key) == 1 {
		var tables []string
		for _, f := range fieldsOf(reflect.TypeFor[Config]()) {
			if f.typ.Kind() == reflect.Map || (f.typ.Kind() == reflect.Struct && f.typ != durationType) {
				tables = append(tables, f.name)
			}
		}
		if s := closest(key[0], tables); s != "" {
			a.fail(n, key, "expected %s, got %s (did you mean [%s]?)", want, describe(n.val), s)
			return
		}
	}
	a.typeErr(n, key, want)
}

func (a applier) integer(n *node, key toml.Key, r rule) (int64, bool) {
	want := "an integer"
	if r.ms {
		want = "an integer (milliseconds)"
	}
	i, ok := n.val.(int64)
	if !ok {
		a.typeErr(n, key, want)
		return 0, false
	}
	return i, a.atLeast(n, key, i, r.min)
}

func (a applier) atLeast(n *node, key toml.Key, i, min int64) bool {
	if i >= min {
		return true
	}
	if min == 0 {
		a.fail(n, key, "must not be negative, got %d", i)
	} else {
		a.fail(n, key, "must be at least %d, got %d", min, i)
	}
	return false
}

func (a applier) duration(rv reflect.Value, n *node, key toml.Key, r rule) {
	var d time.Duration
	switch v := n.val.(type) {
	case time.Duration: // from an Override
		d = v
	case int64:
		if !r.ms {
			a.typeErr(n, key, `a duration such as "30m"`)
			return
		}
		if !a.atLeast(n, key, v, r.min) {
			return
		}
		d = time.Duration(v) * time.Millisecond
	case string:
		if r.ms {
			a.typeErr(n, key, "an integer (milliseconds)")
			return
		}
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			a.fail(n, key, `expected a duration such as "30m" or "1h30m", got string %q`, v)
			return
		}
	default:
		if r.ms {
			a.typeErr(n, key, "an integer (milliseconds)")
		} else {
			a.typeErr(n, key, `a duration such as "30m"`)
		}
		return
	}
	if d < 0 || (r.ms && d < time.Duration(r.min)*time.Millisecond) {
		a.fail(n, key, "must not be negative, got %v", d)
		return
	}
	rv.SetInt(int64(d))
	a.set(n, key)
}

// check validates and normalizes a string value by its rule.
func (a applier) check(s string, n *node, key toml.Key, r rule) (string, bool) {
	if r.enum != nil {
		if to, ok := r.alias[s]; ok {
			return to, true
		}
		if !slices.Contains(r.enum, s) {
			allowed := quoteAll(r.enum)
			for _, from := range slices.Sorted(maps.Keys(r.alias)) {
				allowed += fmt.Sprintf(" (or %q, an alias of %q)", from, r.alias[from])
			}
			a.fail(n, key, "expected one of %s, got %q", allowed, s)
			return "", false
		}
	}
	if r.path {
		p := s
		if rest, ok := strings.CutPrefix(p, "~/"); ok && a.getenv("HOME") != "" {
			p = filepath.Join(a.getenv("HOME"), rest)
		}
		if !filepath.IsAbs(p) {
			if a.l.dir != "" {
				p = filepath.Join(a.l.dir, p)
			} else if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		st, err := os.Stat(p)
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe):
			a.fail(n, key, "cannot use %s: %v", p, pe.Err)
			return "", false
		case err != nil:
			a.fail(n, key, "cannot use %s: %v", p, err)
			return "", false
		case st.IsDir():
			a.fail(n, key, "cannot use %s: is a directory", p)
			return "", false
		}
		return p, true
	}
	return s, true
}

// stringTable applies a table of strings (http_headers, query_params)
// key by key.
func (a applier) stringTable(rv reflect.Value, n *node, key toml.Key) {
	if !n.isTable() {
		a.typeErr(n, key, "a table of strings")
		return
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMap(rv.Type()))
	}
	for _, name := range n.keys() {
		c, k := n.kids[name], with(key, name)
		s, ok := c.val.(string)
		if !ok || c.isTable() {
			a.typeErr(c, k, "a string")
			continue
		}
		rv.SetMapIndex(reflect.ValueOf(name), reflect.ValueOf(s))
		a.set(c, k)
	}
}

func (a applier) stringArray(rv reflect.Value, n *node, key toml.Key) {
	arr, ok := n.val.([]any)
	if !ok {
		a.typeErr(n, key, "an array of strings")
		return
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			a.fail(n, key, "expected an array of strings, got %s at index %d", describe(e), i)
			return
		}
		out = append(out, s)
	}
	rv.Set(reflect.ValueOf(out))
	a.set(n, key)
}

// named applies a table of user-named tables (model_providers, roles,
// budgets, prices): each entry is merged key by key into the existing one.
func (a applier) named(rv reflect.Value, n *node, key toml.Key, spath string) {
	if !n.isTable() {
		a.typeErr(n, key, "a table")
		return
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMap(rv.Type()))
	}
	for _, id := range n.keys() {
		c, k := n.kids[id], with(key, id)
		if !c.isTable() {
			a.typeErr(c, k, "a table")
			continue
		}
		if msg := checkName(spath, id); msg != "" {
			a.fail(c, k, "%s", msg)
			continue
		}
		ev := reflect.New(rv.Type().Elem()).Elem()
		if old := rv.MapIndex(reflect.ValueOf(id)); old.IsValid() {
			ev.Set(old)
		} else if spath == "model_providers" {
			// As in Codex CLI, a provider defined in a file speaks chat
			// unless it says otherwise.
			ev.Addr().Interface().(*Provider).WireAPI = WireChat
			a.sources[with(k, "wire_api").String()] = SourceDefault
		}
		a.set(c, k)
		a.table(ev, c, k, spath+".*")
		if spath == "roles" {
			a.instructions(ev.Addr().Interface().(*Role), c, k)
		}
		rv.SetMapIndex(reflect.ValueOf(id), ev)
	}
}

// instructions keeps one of a role's instructions and instructions_file:
// the one the latest layer set. Setting both in one layer is an error.
func (a applier) instructions(r *Role, n *node, key toml.Key) {
	inline, hasInline := n.kids["instructions"]
	file, hasFile := n.kids["instructions_file"]
	switch {
	case hasInline && hasFile:
		later := inline
		if file.line > later.line {
			later = file
		}
		a.fail(later, key, "set only one of instructions and instructions_file")
	case hasInline:
		r.InstructionsFile = ""
		delete(a.sources, with(key, "instructions_file").String())
	case hasFile:
		r.Instructions = ""
		delete(a.sources, with(key, "instructions").String())
	}
}

// checkName validates the name of an entry of a named table.
func checkName(spath, id string) string {
	if id == "" {
		return "the name must not be empty"
	}
	if spath == "budgets" {
		if _, err := messaging.ParseAddress(id); err != nil {
			return fmt.Sprintf(`expected an agent address such as "/root" or "/root/coder_a", got %q`, id)
		}
	}
	return ""
}

// unknown reports a key the schema does not have: a warning in a file
// (with the closest known key), an error in an override.
func (a applier) unknown(n *node, key toml.Key, fields []field, spath string) {
	name := key[len(key)-1]
	where := a.l.where(n.line)
	if a.l.file && slices.Contains(codexIgnored[spath], name) {
		a.warnf(`%s: "%s" is a Codex CLI setting that cadre does not use; ignored`, where, key.String())
		return
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	hint := ""
	if s := closest(name, names); s != "" {
		hint = fmt.Sprintf(` (did you mean "%s"?)`, with(key[:len(key)-1], s).String())
	} else if len(key) == 1 {
		// A key of a fixed sub-table written at the top ("max_turns").
		for _, f := range fields {
			if f.typ.Kind() == reflect.Struct && f.typ != durationType {
				for _, sub := range fieldsOf(f.typ) {
					if sub.name == name {
						hint = fmt.Sprintf(` (did you mean "%s.%s"?)`, f.name, name)
					}
				}
			}
		}
	}
	if !a.l.file {
		a.errs = append(a.errs, &Error{Where: where, Key: key.String(), Msg: "unknown key" + hint})
		return
	}
	a.warnf(`%s: unknown key "%s"%s`, where, key.String(), hint)
}

// validate checks what needs the merged configuration: provider references
// and base URLs.
func (ld *loader) validate() {
	c := ld.cfg
	fail := func(key, format string, args ...any) {
		where := ld.sources[key]
		if where == "" {
			where = SourceDefault
		}
		ld.errs = append(ld.errs, &Error{Where: where, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	known := strings.Join(c.providerIDs(), ", ")
	for _, id := range c.providerIDs() {
		p, k := c.ModelProviders[id], toml.Key{"model_providers", id}
		if p.BaseURL == "" {
			ld.errs = append(ld.errs, &Error{Where: ld.sources[k.String()], Key: k.String(), Msg: "a provider needs a base_url"})
			continue
		}
		if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(with(k, "base_url").String(), "expected an http:// or https:// URL, got %q", p.BaseURL)
		}
	}
	if _, ok := c.ModelProviders[c.ModelProvider]; !ok {
		fail("model_provider", "unknown provider %q (known: %s)", c.ModelProvider, known)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Roles)) {
		if id := c.Roles[name].ModelProvider; id != "" {
			if _, ok := c.ModelProviders[id]; !ok {
				fail(toml.Key{"roles", name, "model_provider"}.String(), "unknown provider %q (known: %s)", id, known)
			}
		}
	}
	if len(c.Notify) > 0 && c.Notify[0] == "" {
		fail("notify", "the first element must be a program, got an empty string")
	}
}

// repoWarnings warns about settings made by the repository's own file that
// a person cloning someone else's repository would not expect: a program
// run outside the sandbox, no sandbox, an API key sent elsewhere.
func (ld *loader) repoWarnings(file string) {
	from := func(key string) (string, bool) {
		s := ld.sources[key]
		return s, s == file || strings.HasPrefix(s, file+":")
	}
	c := ld.cfg
	if s, ok := from("notify"); ok {
		ld.warnf("%s: notify is set by the repository's configuration; cadre runs %q outside the sandbox", s, c.Notify)
	}
	if s, ok := from("sandbox_mode"); ok && c.SandboxMode == SandboxOff {
		ld.warnf("%s: the repository's configuration turns the sandbox off", s)
	}
	for _, id := range c.providerIDs() {
		p := c.ModelProviders[id]
		if p.EnvKey == "" {
			continue
		}
		for _, k := range []string{"base_url", "env_key"} {
			key := toml.Key{"model_providers", id, k}.String()
			if s, ok := from(key); ok {
				ld.warnf("%s: %s is set by the repository's configuration: the key in $%s is sent to %s", s, key, p.EnvKey, p.BaseURL)
			}
		}
	}
}

// field is a configuration key of a struct.
type field struct {
	name  string
	index int
	typ   reflect.Type
}

var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("toml"); name != "" {
			fs = append(fs, field{name: name, index: i, typ: f.Type})
		}
	}
	fieldCache.Store(t, fs)
	return fs
}

func with(k toml.Key, part string) toml.Key {
	return append(slices.Clip(k), part)
}

func join(spath, name string) string {
	if spath == "" {
		return name
	}
	return spath + "." + name
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// describe names a TOML value for an error: `string "many"`, `integer 7`.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case time.Duration:
		return fmt.Sprintf("duration %v", v)
	case time.Time:
		return "datetime " + v.Format(time.RFC3339)
	case []map[string]any:
		return "array of tables"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	case nil:
		return "nothing"
	}
	if s, ok := v.(fmt.Stringer); ok { // toml.LocalDate and friends
		return "datetime " + s.String()
	}
	return fmt.Sprintf("%T %v", v, v)
}
