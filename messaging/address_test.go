package messaging

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		parent  string
		name    string
		slug    string
		depth   int
		errPart string
	}{
		{in: "/root", ok: true, name: "root", slug: "root", depth: 0},
		{in: "/root/coder_a", ok: true, parent: "/root", name: "coder_a", slug: "root-coder_a", depth: 1},
		{in: "/root/a/b9_", ok: true, parent: "/root/a", name: "b9_", slug: "root-a-b9_", depth: 2},
		{in: "/root/" + strings.Repeat("a", 32), ok: true, parent: "/root", name: strings.Repeat("a", 32), slug: "root-" + strings.Repeat("a", 32), depth: 1},
		{in: "", errPart: "must start with /root"},
		{in: "root", errPart: "must start with /root"},
		{in: "/lead", errPart: "must start with /root"},
		{in: "/root/", errPart: "empty name"},
		{in: "/root//x", errPart: "empty name"},
		{in: "/root/Coder", errPart: "lowercase"},
		{in: "/root/9x", errPart: "lowercase"},
		{in: "/root/_x", errPart: "lowercase"},
		{in: "/root/a-b", errPart: "lowercase"},
		{in: "/root/" + strings.Repeat("a", 33), errPart: "longer than 32"},
		{in: "/root/a/b/c/d/e/f/g/h", errPart: "deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseAddress(tt.in)
			if !tt.ok {
				if err == nil || !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("ParseAddress(%q) = %v, want ErrBadAddress containing %q", tt.in, err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tt.in, err)
			}
			if a.String() != tt.in || a.Name() != tt.name || a.Slug() != tt.slug || a.Depth() != tt.depth {
				t.Fatalf("got %q name %q slug %q depth %d", a, a.Name(), a.Slug(), a.Depth())
			}
			p, ok := a.Parent()
			if (tt.parent != "") != ok || p.String() != tt.parent {
				t.Fatalf("Parent() = %q, %v; want %q", p, ok, tt.parent)
			}
			back, err := ParseSlug(a.Slug())
			if err != nil || back != a {
				t.Fatalf("ParseSlug(%q) = %q, %v", a.Slug(), back, err)
			}
		})
	}
}

func TestAddressTree(t *testing.T) {
	c, err := Root.Child("coder_a")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := c.Child("tester")
	if !Root.IsAncestorOf(g) || !c.IsAncestorOf(g) || g.IsAncestorOf(c) || c.IsAncestorOf(c) {
		t.Fatal("IsAncestorOf wrong")
	}
	if !g.Within(c) || !c.Within(c) || c.Within(g) {
		t.Fatal("Within wrong")
	}
	other := MustParseAddress("/root/coder_ab")
	if c.IsAncestorOf(other) {
		t.Fatal("/root/coder_a must not be an ancestor of /root/coder_ab")
	}
	if _, err := Root.Child("Bad"); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("Child(Bad) = %v", err)
	}
	if _, err := (Address{}).Child("x"); err == nil {
		t.Fatal("child of zero address accepted")
	}
}

func TestAddressJSON(t *testing.T) {
	type wrap struct {
		A Address `json:"a"`
		B Address `json:"b,omitzero"`
	}
	out, err := json.Marshal(wrap{A: MustParseAddress("/root/x")})
	if err != nil || string(out) != `{"a":"/root/x"}` {
		t.Fatalf("marshal = %s, %v", out, err)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"a":"/root/y"}`), &w); err != nil || w.A.String() != "/root/y" {
		t.Fatalf("unmarshal = %+v, %v", w, err)
	}
	if err := json.Unmarshal([]byte(`{"a":"/etc/passwd"}`), &w); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("bad address accepted: %v", err)
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"/root", "/root/a", "/root/a/b_1", "", "/", "/root/", "/root/A", "//root", "/root/a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("error does not wrap ErrBadAddress: %v", err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("round trip %q -> %q", s, a)
		}
		if strings.Contains(s, "..") || strings.Contains(s, "//") || strings.HasSuffix(s, "/") {
			t.Fatalf("accepted %q", s)
		}
		back, err := ParseSlug(a.Slug())
		if err != nil || back != a {
			t.Fatalf("slug round trip %q: %q %v", s, back, err)
		}
		if p, ok := a.Parent(); ok {
			if _, err := ParseAddress(p.String()); err != nil || !p.IsAncestorOf(a) {
				t.Fatalf("parent of %q = %q invalid", s, p)
			}
		} else if !a.IsRoot() {
			t.Fatalf("%q has no parent but is not root", s)
		}
	})
}

func TestRunID(t *testing.T) {
	id := NewRunID(mustTime("2026-11-23T07:00:00Z"))
	if err := ValidateRunID(id); err != nil || !strings.HasPrefix(id, "r-20261123-") {
		t.Fatalf("NewRunID = %q, %v", id, err)
	}
	for _, bad := range []string{"", "r-2026-ab12", "r-20261123-AB12", "x-20261123-ab12", "r-20261123-ab123"} {
		if err := ValidateRunID(bad); !errors.Is(err, ErrBadRunID) {
			t.Errorf("ValidateRunID(%q) = %v", bad, err)
		}
	}
}
