package plan

import (
	"flag"
	"math/bits"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The overlap decision is cross-checked against brute force: random globs
// over the letters a, b and ".", and every name or path over a, b, ".", x
// (standing for every other character) and "/" up to a length that is
// provably enough to find a common match when there is one (see segBound).
// Matching during brute force goes through a regular expression built from
// the glob text, independent of this package's matcher.

var crossSeed = flag.Uint64("crossseed", 1, "seed of the randomized overlap cross-checks")

// Tokens a random segment pattern is made of.
var randTokens = []string{"a", "b", ".", "?", "*", "[ab]", "[!a]", "[^.]", "[a-b]", "[.a]", "[!ab.]", "[b]"}

// oracle turns a glob of the test alphabet into a regular expression on
// "/"+path: each segment is "/" and its pattern, "**" is any number of
// "/name" parts.
func oracle(t testing.TB, g string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^")
	for _, seg := range strings.Split(g, "/") {
		if seg == "**" {
			re.WriteString("(?:/[^/]+)*")
			continue
		}
		re.WriteString("/")
		re.WriteString(oracleSegment(seg))
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

func oracleSegment(seg string) string {
	var re strings.Builder
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; c {
		case '*':
			re.WriteString("[^/]*")
		case '?':
			re.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(seg[i:], ']') + i
			body := seg[i+1 : end]
			if body[0] == '!' || body[0] == '^' {
				re.WriteString("[^/" + body[1:] + "]")
			} else {
				re.WriteString("[" + body + "]")
			}
			i = end
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return re.String()
}

// oracleMatch reports whether the oracle matches path (which must be clean).
func oracleMatch(re *regexp.Regexp, p string) bool { return re.MatchString("/" + p) }

// randSegment returns a random valid segment pattern of minTok to maxTok
// tokens.
func randSegment(r *rand.Rand, minTok, maxTok int) string {
	for {
		var b strings.Builder
		n := minTok + r.IntN(maxTok-minTok+1)
		for range n {
			b.WriteString(randTokens[r.IntN(len(randTokens))])
		}
		s := b.String()
		if _, err := parseSegment(s); err == nil && !strings.Contains(s, "**") && s != "." && s != ".." {
			return s
		}
	}
}

// randGlob returns a random valid glob of 1 to maxSeg segments.
func randGlob(r *rand.Rand, maxSeg, maxTok int) string {
	n := 1 + r.IntN(maxSeg)
	segs := make([]string, n)
	for i := range segs {
		if r.IntN(3) == 0 {
			segs[i] = "**"
		} else {
			segs[i] = randSegment(r, 1, maxTok)
		}
	}
	return strings.Join(segs, "/")
}

// strings over alpha of length 1..k, in order of length.
func allStrings(alpha string, k int) []string {
	out := []string{""}
	var all []string
	for range k {
		var next []string
		for _, s := range out {
			for _, c := range alpha {
				next = append(next, s+string(c))
			}
		}
		all = append(all, next...)
		out = next
	}
	return all
}

// nonStar counts the tokens of a segment pattern other than stars.
func nonStar(seg string) int {
	s, err := parseSegment(seg)
	if err != nil {
		panic(err)
	}
	n := 0
	for _, t := range s.toks {
		if !t.star {
			n++
		}
	}
	return n
}

// segBound bounds the length of a shortest name matched by two segment
// patterns with na and nb non-star tokens, if there is one: each character
// of a name is read by a non-star token on one side, or by stars on both;
// the latter can all be made "x" and all but one removed.
func segBound(na, nb int) int { return na + nb + 1 }

type bitset []uint64

func (b bitset) set(i int) { b[i/64] |= 1 << (i % 64) }
func (b bitset) and(c bitset) int {
	for i := range b {
		if w := b[i] & c[i]; w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Segment level: every pattern of one or two tokens against every other,
// and random ones of three, against every name of up to seven characters,
// which is enough for every pair (segBound(3, 3) = 7): exact.
func TestSegmentOverlapBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(*crossSeed, 2))
	var pats []string
	seen := map[string]bool{}
	addPat := func(p string) {
		if _, err := parseSegment(p); err == nil && !seen[p] && !strings.Contains(p, "**") && p != "." && p != ".." {
			seen[p] = true
			pats = append(pats, p)
		}
	}
	for _, x := range randTokens {
		addPat(x)
		for _, y := range randTokens {
			addPat(x + y)
		}
	}
	nRandom := 150
	if testing.Short() {
		nRandom = 30
	}
	for range nRandom {
		addPat(randSegment(r, 3, 3))
	}
	var names []string
	for _, s := range allStrings("ab.x", 7) {
		if s != "." && s != ".." {
			names = append(names, s)
		}
	}
	sets := make([]bitset, len(pats))
	for i, p := range pats {
		re := regexp.MustCompile("^" + oracleSegment(p) + "$")
		sets[i] = make(bitset, (len(names)+63)/64)
		for k, n := range names {
			if re.MatchString(n) {
				sets[i].set(k)
			}
		}
	}
	var pairs, yes int
	for i, p := range pats {
		sp, _ := parseSegment(p)
		for j := i; j < len(pats); j++ {
			q := pats[j]
			sq, _ := parseSegment(q)
			if segBound(nonStar(p), nonStar(q)) > 7 {
				t.Fatalf("%q, %q: beyond the exhaustive bound", p, q)
			}
			pairs++
			brute := sets[i].and(sets[j])
			ex, ok := segmentExample(sp, sq)
			if ok != (brute >= 0) {
				t.Fatalf("segments %q and %q: decided %v (%q), brute force found %v", p, q, ok, ex, brute >= 0)
			}
			if ok {
				yes++
				if !sp.match(ex) || !sq.match(ex) || ex == "." || ex == ".." || ex == "" {
					t.Fatalf("segments %q and %q: bad example %q", p, q, ex)
				}
			}
		}
	}
	t.Logf("%d patterns, %d pairs, all exact: %d overlap, %d do not; %d names up to 7 characters", len(pats), pairs, yes, pairs-yes, len(names))
}

// Path level: random globs of up to three segments, each pair decided
// twice by brute force:
//
//   - against every clean path of up to 7 characters, through the regular
//     expression oracle: a common match must be found by the decision too;
//   - exactly, by alignment: a shortest common path has at most
//     max(1, sA+sB) segments (sA, sB: segments of each glob other than
//     "**"), so try every way of replacing each "**" by zero or more "*"
//     segments that makes both globs equally long, up to that length, and
//     ask whether every aligned pair of segment patterns shares a name,
//     found among all names of up to 7 characters (exact for patterns of
//     at most two tokens: segBound(2, 2) = 5).
//
// Every example the decision gives is checked against the oracle.
func TestOverlapBruteForce(t *testing.T) {
	t.Parallel()
	const k = 7
	r := rand.New(rand.NewPCG(*crossSeed, 3))
	n := 300
	if testing.Short() {
		n = 80
	}
	seen := map[string]bool{}
	var globs []string
	for len(globs) < n {
		g := randGlob(r, 3, 2)
		if !seen[g] {
			seen[g] = true
			globs = append(globs, g)
		}
	}
	var paths []string
	for _, p := range allStrings("ab.x/", k) {
		if _, err := splitPath(p); err == nil {
			paths = append(paths, p)
		}
	}
	res := make([]*regexp.Regexp, len(globs))
	sets := make([]bitset, len(globs))
	for i, g := range globs {
		res[i] = oracle(t, g)
		sets[i] = make(bitset, (len(paths)+63)/64)
		for j, p := range paths {
			if oracleMatch(res[i], p) {
				sets[i].set(j)
			}
		}
	}
	shares := segmentSharing()
	var pairs, yes, viaPaths int
	for i := range globs {
		gi, err := parseGlob(globs[i])
		if err != nil {
			t.Fatal(err)
		}
		for j := i; j < len(globs); j++ {
			gj, _ := parseGlob(globs[j])
			pairs++
			ex, ok := intersect(gi, gj)
			if exact := alignOverlap(globs[i], globs[j], shares); exact != ok {
				t.Fatalf("%q and %q: decided %v (%q), alignment brute force says %v", globs[i], globs[j], ok, ex, exact)
			}
			if brute := sets[i].and(sets[j]); brute >= 0 {
				viaPaths++
				if !ok {
					t.Fatalf("%q and %q: decided no, but both match %q", globs[i], globs[j], paths[brute])
				}
			}
			if ok {
				yes++
				if !oracleMatch(res[i], ex) || !oracleMatch(res[j], ex) {
					t.Fatalf("%q and %q: example %q is not matched by both", globs[i], globs[j], ex)
				}
				if _, err := splitPath(ex); err != nil {
					t.Fatalf("%q and %q: example %q: %v", globs[i], globs[j], ex, err)
				}
			}
		}
	}
	t.Logf("%d globs, %d pairs, all exact: %d overlap (every example checked; %d found among the %d clean paths of up to %d characters), %d do not",
		len(globs), pairs, yes, viaPaths, len(paths), k, pairs-yes)
}

// segmentSharing returns a memoized test of whether two segment patterns
// of the test alphabet (at most two tokens each, or "*") share a valid name,
// by brute force over every name of up to 7 characters.
func segmentSharing() func(p, q string) bool {
	var names []string
	for _, s := range allStrings("ab.x", 7) {
		if s != "." && s != ".." {
			names = append(names, s)
		}
	}
	sets := map[string]bitset{}
	set := func(p string) bitset {
		if b, ok := sets[p]; ok {
			return b
		}
		if segBound(nonStar(p), 2) > 7 {
			panic("pattern too long for an exact answer: " + p)
		}
		re := regexp.MustCompile("^" + oracleSegment(p) + "$")
		b := make(bitset, (len(names)+63)/64)
		for k, n := range names {
			if re.MatchString(n) {
				b.set(k)
			}
		}
		sets[p] = b
		return b
	}
	memo := map[[2]string]bool{}
	return func(p, q string) bool {
		key := [2]string{p, q}
		if v, ok := memo[key]; ok {
			return v
		}
		v := set(p).and(set(q)) >= 0
		memo[key] = v
		return v
	}
}

// expansions returns every way of replacing each "**" of segs by zero or
// more "*" segments that gives exactly l segments.
func expansions(segs []string, l int) [][]string {
	if len(segs) == 0 {
		if l == 0 {
			return [][]string{nil}
		}
		return nil
	}
	var out [][]string
	if segs[0] != "**" {
		for _, rest := range expansions(segs[1:], l-1) {
			out = append(out, append([]string{segs[0]}, rest...))
		}
		return out
	}
	for c := 0; c <= l; c++ {
		for _, rest := range expansions(segs[1:], l-c) {
			e := make([]string, 0, l)
			for range c {
				e = append(e, "*")
			}
			out = append(out, append(e, rest...))
		}
	}
	return out
}

func alignOverlap(a, b string, shares func(p, q string) bool) bool {
	sa, sb := strings.Split(a, "/"), strings.Split(b, "/")
	plain := 0
	for _, s := range append(slices.Clone(sa), sb...) {
		if s != "**" {
			plain++
		}
	}
	for l := 1; l <= max(1, plain); l++ {
		for _, ea := range expansions(sa, l) {
		next:
			for _, eb := range expansions(sb, l) {
				for x := range ea {
					if !shares(ea[x], eb[x]) {
						continue next
					}
				}
				return true
			}
		}
	}
	return false
}

// Match agrees with the oracle on random globs and every clean path of up
// to 6 characters.
func TestMatchAgainstOracle(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(*crossSeed, 4))
	var paths []string
	for _, p := range allStrings("ab.x/", 6) {
		if _, err := splitPath(p); err == nil {
			paths = append(paths, p)
		}
	}
	n := 100
	if testing.Short() {
		n = 40
	}
	checks := 0
	for range n {
		g := randGlob(r, 3, 3)
		re := oracle(t, g)
		for _, p := range paths {
			checks++
			if got, want := Match([]string{g}, p), oracleMatch(re, p); got != want {
				t.Fatalf("Match(%q, %q) = %v, oracle says %v", g, p, got, want)
			}
		}
	}
	t.Logf("%d checks", checks)
}
