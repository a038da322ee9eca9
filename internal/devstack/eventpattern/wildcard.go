package eventpattern

import (
	"errors"
	"strings"
)

// glob is a compiled wildcard pattern: the literal text between its '*'s.
// parts[0] must start the value and parts[len-1] end it; the ones between
// appear in order.
type glob struct {
	parts []string
}

// compileGlob parses a wildcard value as event-ruler's README describes it:
// "A single value can contain zero to many wildcard characters, but
// consecutive wildcard characters are not allowed. To match the asterisk
// character specifically, a wildcard character can be escaped with a
// backslash. Two consecutive backslashes (i.e. a backslash escaped with a
// backslash) represents the actual backslash character. A backslash escaping
// any character other than asterisk or backslash is not allowed."
func compileGlob(p string) (glob, error) {
	var parts []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if prevStar {
				return glob{}, errors.New("consecutive wildcard characters are not allowed")
			}
			parts = append(parts, cur.String())
			cur.Reset()
			prevStar = true
			continue
		case '\\':
			if i+1 >= len(p) || (p[i+1] != '*' && p[i+1] != '\\') {
				return glob{}, errors.New("a backslash may only escape '*' or '\\'")
			}
			i++
			cur.WriteByte(p[i])
		default:
			cur.WriteByte(c)
		}
		prevStar = false
	}
	parts = append(parts, cur.String())
	return glob{parts: parts}, nil
}

// match reports whether s matches the glob. Greedy leftmost matching of the
// middle parts is enough: each '*' can absorb anything, so placing every
// part as early as possible never loses a match.
func (g glob) match(s string) bool {
	if len(g.parts) == 1 {
		return s == g.parts[0]
	}
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	rest := s[len(first) : len(s)-len(last)]
	for _, part := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return true
}
