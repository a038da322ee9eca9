package customer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address a mail system can route (RFC 5321
// path limit less the angle brackets).
const MaxEmailLength = 254

// NormalizeLogin returns the key under which an email address or username is
// unique: trimmed, lower-cased and in Unicode NFC. " Ada@Example.com " and
// "ada@example.com" are one account, and so are an accent typed as one code
// point or as a letter plus a combining mark. NFC is applied after lowering
// because lowering can leave a decomposable sequence behind.
func NormalizeLogin(s string) string {
	return norm.NFC.String(strings.ToLower(Canonical(s)))
}

// Canonical returns s trimmed and in Unicode NFC: the form in which an
// address or name is validated and stored, so input from a keyboard that
// sends combining marks (macOS) is treated like any other.
func Canonical(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// EmailProblem is why an address is refused, as a stable code; "" means the
// address is acceptable.
func EmailProblem(raw string) (code, message string) {
	s := Canonical(raw)
	switch {
	case s == "":
		return "required", "Email is required."
	case !utf8.ValidString(s):
		return "invalid_encoding", "Email must be valid UTF-8."
	case len(s) > MaxEmailLength:
		return "too_long", "Email must have at most 254 bytes."
	case !validEmail(s):
		return "invalid_email", "Email is not a valid address."
	}
	return "", ""
}

// validEmail accepts the addresses people actually use: a dot-atom local part
// (RFC 5322 atext, which includes "+") and a domain of at least two DNS
// labels. Quoted local parts and IP literals are refused on purpose: no shop
// customer needs them and they are a favourite of injection attempts.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", r))) && !(r >= utf8.RuneSelf && unicode.IsLetter(r)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if !(r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '-')) && !(r >= utf8.RuneSelf && unicode.IsLetter(r)) {
				return false
			}
		}
	}
	// The top-level domain is never all digits ("a@1.2" is an IP, not a host).
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0
}

// MaxUsernameLength bounds usernames.
const MaxUsernameLength = 64

// UsernameProblem is why a username is refused; "" means acceptable.
// Usernames are letters, digits and ". _ -", so they cannot be mistaken for an
// email address at sign-in.
func UsernameProblem(raw string) (code, message string) {
	s := Canonical(raw)
	switch {
	case s == "":
		return "required", "Username is required."
	case utf8.RuneCountInString(s) > MaxUsernameLength:
		return "too_long", "Username must have at most 64 characters."
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return "invalid_username", "Username may contain only letters, digits, '.', '_' and '-'."
		}
	}
	return "", ""
}

// HasControl reports whether s holds a control character (including the
// line breaks and NULs that break mail headers, logs and CSV exports) or is
// not valid UTF-8.
func HasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}) >= 0
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}
