package eventpattern

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what a leaf matcher tests.
type kind int

const (
	exactString  kind = iota // "Alice"
	exactNumber              // 3, equal numerically: 3 matches 3.0
	exactLiteral             // true, false, null
	existsTrue               // {"exists": true}
	existsFalse              // {"exists": false}
	prefix                   // {"prefix": "us-"}
	prefixFold               // {"prefix": {"equals-ignore-case": "eventb"}}
	suffix                   // {"suffix": ".png"}
	suffixFold               // {"suffix": {"equals-ignore-case": "tbridge"}}
	equalsFold               // {"equals-ignore-case": "alice"}
	wildcard                 // {"wildcard": "*/lib/*"}
	numeric                  // {"numeric": [">", 0, "<=", 5]}
	cidr                     // {"cidr": "10.0.0.0/24"}
	butValues                // {"anything-but": "x"}, {"anything-but": [1, 2]}
	butPrefix                // {"anything-but": {"prefix": "init"}}
	butSuffix                // {"anything-but": {"suffix": ".png"}}
	butFold                  // {"anything-but": {"equals-ignore-case": "x"}}
	butWildcard              // {"anything-but": {"wildcard": "*/lib/*"}}
)

// matcher is one element of a leaf array; the elements are ORed.
type matcher struct {
	kind  kind
	strs  []string     // strings compared, or the strings anything-but excludes
	nums  []number     // numbers compared, or the numbers anything-but excludes
	lit   any          // true, false or nil for exactLiteral
	globs []glob       // wildcard, butWildcard
	rng   numRange     // numeric
	net   netip.Prefix // cidr
}

// number is a JSON number: its text, and its value when it has one as a
// float64 (a number too large for one is compared by its text only, as
// event-ruler compares an unrepresentable number).
type number struct {
	text string
	f    float64
	ok   bool
}

func parseNumber(text string) number {
	f, err := strconv.ParseFloat(text, 64)
	return number{text: text, f: f, ok: err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)}
}

func (n number) equal(o number) bool {
	if n.ok && o.ok {
		return n.f == o.f
	}
	return n.text == o.text
}

// numRange is a numeric match: an optional lower and upper bound, each open
// or closed.
type numRange struct {
	hasLow, lowOpen   bool
	low               float64
	hasHigh, highOpen bool
	high              float64
}

func (r numRange) contains(f float64) bool {
	if r.hasLow && (f < r.low || (r.lowOpen && f == r.low)) {
		return false
	}
	if r.hasHigh && (f > r.high || (r.highOpen && f == r.high)) {
		return false
	}
	return true
}

// match reports whether the leaf value v (string, json.Number, bool or nil)
// satisfies m. exists:false is decided by the caller, on the whole event.
func (m *matcher) match(v any) bool {
	switch m.kind {
	case existsTrue:
		return true
	case exactLiteral:
		return v == m.lit
	case exactNumber:
		n, ok := v.(json.Number)
		return ok && parseNumber(string(n)).equal(m.nums[0])
	case numeric:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		p := parseNumber(string(n))
		return p.ok && m.rng.contains(p.f)
	case butValues:
		switch t := v.(type) {
		case string:
			return !slices.Contains(m.strs, t)
		case json.Number:
			p := parseNumber(string(t))
			return !slices.ContainsFunc(m.nums, p.equal)
		}
		return true
	case butPrefix, butSuffix, butFold, butWildcard:
		// "Anything-but matching matches anything except what's provided
		// in the rule": a value that is not a string is not excluded.
		s, ok := v.(string)
		return !ok || !m.stringMatch(s)
	}
	s, ok := v.(string)
	return ok && m.stringMatch(s)
}

// stringMatch applies a string operator, or the operator an anything-but
// negates, to s.
func (m *matcher) stringMatch(s string) bool {
	switch m.kind {
	case exactString:
		return s == m.strs[0]
	case prefix, butPrefix:
		return slices.ContainsFunc(m.strs, func(p string) bool { return strings.HasPrefix(s, p) })
	case suffix, butSuffix:
		return slices.ContainsFunc(m.strs, func(p string) bool { return strings.HasSuffix(s, p) })
	case prefixFold:
		return hasPrefixFold(s, m.strs[0])
	case suffixFold:
		return hasSuffixFold(s, m.strs[0])
	case equalsFold, butFold:
		return slices.ContainsFunc(m.strs, func(p string) bool { return strings.EqualFold(s, p) })
	case wildcard, butWildcard:
		return slices.ContainsFunc(m.globs, func(g glob) bool { return g.match(s) })
	case cidr:
		a, err := netip.ParseAddr(s)
		return err == nil && m.net.Contains(a.Unmap())
	}
	return false
}

// foldEqual reports whether two runes are equal under Unicode simple case
// folding, as strings.EqualFold compares them.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix ignoring case.
func hasPrefixFold(s, p string) bool { return hasEndFold(s, p, firstRune) }

// hasSuffixFold is strings.HasSuffix ignoring case.
func hasSuffixFold(s, p string) bool { return hasEndFold(s, p, lastRune) }

// hasEndFold reports whether s begins (next is firstRune) or ends (next is
// lastRune) with p ignoring case. It compares rune by rune: folding may
// change a rune's length in bytes, so byte slicing would be wrong.
func hasEndFold(s, p string, next func(string) (rune, string)) bool {
	for p != "" {
		if s == "" {
			return false
		}
		var rs, rp rune
		rs, s = next(s)
		rp, p = next(p)
		if !foldEqual(rs, rp) {
			return false
		}
	}
	return true
}

// firstRune splits s into its first rune and the rest.
func firstRune(s string) (rune, string) {
	r, n := utf8.DecodeRuneInString(s)
	return r, s[n:]
}

// lastRune splits s into its last rune and the rest.
func lastRune(s string) (rune, string) {
	r, n := utf8.DecodeLastRuneInString(s)
	return r, s[:len(s)-n]
}
