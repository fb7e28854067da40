package messaging

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadAddress is wrapped by every address parse failure.
var ErrBadAddress = errors.New("bad address")

// MaxDepth bounds how deep an agent tree may grow.
const MaxDepth = 8

// Address is an agent's path in its run: "/root" is the lead; a child is
// "<parent>/<name>". The zero Address is invalid; use ParseAddress or Root.
type Address struct{ s string }

// Root is the address of a run's lead agent.
var Root = Address{s: "/root"}

// ParseAddress validates s and returns it as an Address.
func ParseAddress(s string) (Address, error) {
	if !strings.HasPrefix(s, "/") {
		return Address{}, fmt.Errorf("%w %q: must start with /root", ErrBadAddress, s)
	}
	parts := strings.Split(s[1:], "/")
	if parts[0] != "root" {
		return Address{}, fmt.Errorf("%w %q: must start with /root", ErrBadAddress, s)
	}
	if len(parts) > MaxDepth {
		return Address{}, fmt.Errorf("%w %q: deeper than %d levels", ErrBadAddress, s, MaxDepth)
	}
	for _, p := range parts[1:] {
		if err := ValidName(p); err != nil {
			return Address{}, fmt.Errorf("%w %q: %v", ErrBadAddress, s, err)
		}
	}
	return Address{s: s}, nil
}

// MustParseAddress is ParseAddress for constants; it panics on a bad address.
func MustParseAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// ValidName reports whether name can be one segment of an address:
// [a-z][a-z0-9_]{0,31}.
func ValidName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 32 {
		return fmt.Errorf("name %q longer than 32 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return fmt.Errorf("name %q: want a lowercase letter then up to 31 of [a-z0-9_]", name)
		}
	}
	return nil
}

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a.s == "" }

// String returns the path form, e.g. "/root/coder_a".
func (a Address) String() string { return a.s }

// IsRoot reports whether a is the lead's address.
func (a Address) IsRoot() bool { return a.s == Root.s }

// Name is the last segment: "coder_a" for "/root/coder_a".
func (a Address) Name() string { return a.s[strings.LastIndexByte(a.s, '/')+1:] }

// Depth is 0 for /root, 1 for its children, and so on.
func (a Address) Depth() int { return strings.Count(a.s, "/") - 1 }

// Parent returns the parent address; ok is false for /root.
func (a Address) Parent() (parent Address, ok bool) {
	if a.IsRoot() || a.IsZero() {
		return Address{}, false
	}
	return Address{s: a.s[:strings.LastIndexByte(a.s, '/')]}, true
}

// Child returns the address of a's child called name.
func (a Address) Child(name string) (Address, error) {
	if a.IsZero() {
		return Address{}, fmt.Errorf("%w: child of the zero address", ErrBadAddress)
	}
	return ParseAddress(a.s + "/" + name)
}

// IsAncestorOf reports whether b lies strictly below a in the tree.
func (a Address) IsAncestorOf(b Address) bool {
	return !a.IsZero() && strings.HasPrefix(b.s, a.s+"/")
}

// Within reports whether a is b or lies below it.
func (a Address) Within(b Address) bool { return a == b || b.IsAncestorOf(a) }

// Slug is a one-segment form for branch and directory names: "root-coder_a".
// Names never contain '-', so the slug maps back to exactly one address.
func (a Address) Slug() string { return strings.ReplaceAll(strings.TrimPrefix(a.s, "/"), "/", "-") }

// ParseSlug is the inverse of Slug.
func ParseSlug(slug string) (Address, error) {
	return ParseAddress("/" + strings.ReplaceAll(slug, "-", "/"))
}

// MarshalText implements encoding.TextMarshaler.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler; an empty text gives the
// zero Address, anything else must parse.
func (a *Address) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = Address{}
		return nil
	}
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
