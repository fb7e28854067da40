package config

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Redacted replaces a secret value in [Loaded.Show]'s output.
const Redacted = "<redacted>"

// Show writes the effective configuration as TOML, each value followed by a
// comment saying where it came from:
//
//	model = "gpt-5-codex"  # default
//	model_provider = "local"  # /repo/.cadre/config.toml:2
//
// Keys nobody set and that have no default are left out. The values of
// http_headers and query_params whose name looks like a credential
// (authorization, api-key, token, ...) or that look like one ("Bearer ...")
// are shown as "<redacted>". The output is valid TOML: loaded as a file, it
// gives the same configuration (with redacted values replaced).
func (l *Loaded) Show(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# cadre's effective configuration; each comment says where a value came from.\n")
	for _, f := range l.Files {
		fmt.Fprintf(&b, "# read %s\n", oneLine(f))
	}
	s := shower{b: &b, src: l.Sources}
	s.table(reflect.ValueOf(l.Config), nil, "")
	_, err := io.WriteString(w, b.String())
	return err
}

type shower struct {
	b   *strings.Builder
	src map[string]string
}

func (s shower) line(text, key string) {
	s.b.WriteString(text)
	if src := s.src[key]; src != "" {
		s.b.WriteString("  # " + oneLine(src))
	}
	s.b.WriteByte('\n')
}

func (s shower) header(key toml.Key) {
	s.b.WriteByte('\n')
	s.line("["+key.String()+"]", key.String())
}

func isTable(t reflect.Type) bool {
	return t.Kind() == reflect.Map || (t.Kind() == reflect.Struct && t != durationType)
}

// table writes the values of the struct v, then its sub-tables.
func (s shower) table(v reflect.Value, key toml.Key, spath string) {
	fields := fieldsOf(v.Type())
	for _, f := range fields {
		k := with(key, f.name)
		if isTable(f.typ) || s.src[k.String()] == "" {
			continue
		}
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		s.line(toml.Key{f.name}.String()+" = "+encode(fv, rules[join(spath, f.name)]), k.String())
	}
	for _, f := range fields {
		if !isTable(f.typ) {
			continue
		}
		fv, k, sp := v.Field(f.index), with(key, f.name), join(spath, f.name)
		switch {
		case f.typ.Kind() == reflect.Struct:
			s.header(k)
			s.table(fv, k, sp)
		case f.typ.Elem().Kind() == reflect.String:
			if fv.Len() == 0 {
				continue
			}
			s.header(k)
			secret := f.name == "http_headers" || f.name == "query_params"
			for _, name := range sortedKeys(fv) {
				val := fv.MapIndex(reflect.ValueOf(name)).String()
				if secret && looksSecret(name, val) {
					val = Redacted
				}
				s.line(toml.Key{name}.String()+" = "+quote(val), with(k, name).String())
			}
		default:
			for _, id := range sortedKeys(fv) {
				s.header(with(k, id))
				s.table(fv.MapIndex(reflect.ValueOf(id)), with(k, id), sp+".*")
			}
		}
	}
}

func sortedKeys(m reflect.Value) []string {
	ks := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		ks = append(ks, k.String())
	}
	slices.Sort(ks)
	return ks
}

// looksSecret reports whether a header or query parameter carries a
// credential, by its name or by the shape of its value.
func looksSecret(name, value string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "password", "passwd", "cookie", "session", "credential", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	v := strings.ToLower(strings.TrimSpace(value))
	return strings.HasPrefix(v, "bearer ") || strings.HasPrefix(v, "basic ") || strings.HasPrefix(v, "sk-")
}

// encode writes a value as TOML.
func encode(v reflect.Value, r rule) string {
	if v.Type() == durationType {
		d := time.Duration(v.Int())
		if r.ms {
			return strconv.FormatInt(d.Milliseconds(), 10)
		}
		return quote(d.String())
	}
	switch v.Kind() {
	case reflect.String:
		return quote(v.String())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		f := strconv.FormatFloat(v.Float(), 'f', -1, 64)
		if !strings.ContainsAny(f, ".eE") {
			f += ".0"
		}
		return f
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = quote(v.Index(i).String())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	panic("config: cannot show " + v.Type().String())
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
