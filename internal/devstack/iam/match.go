package iam

import (
	"strings"
	"unicode/utf8"
)

// wildcardMatch reports whether s matches pattern, where '*' matches any
// run of characters (including none, and including ':' and '/') and '?'
// matches exactly one character. Every other byte matches itself: the
// comparison is case-sensitive. It runs in O(len(pattern)·len(s)) at worst
// and allocates nothing.
func wildcardMatch(pattern, s string) bool {
	px, sx := 0, 0
	// The last '*' seen, and where in s the text it swallows ends: on a
	// later mismatch it swallows one more character and matching resumes.
	starPx, starSx := -1, 0
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx += runeLen(s, sx)
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx += runeLen(s, starSx)
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// runeLen is the length in bytes of the character that starts at s[i].
func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// hasWildcard reports whether s has a '*' or a '?'.
func hasWildcard(s string) bool {
	return strings.ContainsAny(s, "*?")
}

// arnParts splits an ARN into its six parts: "arn", partition, service,
// region, account and resource (which may itself hold ':' and '/'). ok is
// false when s does not start with "arn:" or has fewer than six parts.
func arnParts(s string) (parts [6]string, ok bool) {
	rest := s
	for i := range 5 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return parts, false
		}
		parts[i] = rest[:j]
		rest = rest[j+1:]
	}
	parts[5] = rest
	return parts, parts[0] == "arn"
}

// arnLike reports whether arn matches pattern as ArnLike and ArnEquals do:
// each of the six parts is matched on its own by its wildcard pattern,
// case-sensitively, so a wildcard never spans the ':' between two of the
// first five parts.
func arnLike(pattern [6]string, arn [6]string) bool {
	for i := range pattern {
		if !wildcardMatch(pattern[i], arn[i]) {
			return false
		}
	}
	return true
}
