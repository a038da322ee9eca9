package customer

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openreg/registration/internal/apperr"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address a mail system can route (RFC 5321
// path limit less the angle brackets).
const MaxEmailLength = 254

// NormalizeLogin returns the key under which an email address or username is
// unique: trimmed, lower-cased and in Unicode NFC, with an internationalised
// mail domain in its ASCII form. " Ada@Example.com " and "ada@example.com"
// are one account, and so are an accent typed as one code point or as a
// letter plus a combining mark, and "ada@bücher.de" and
// "ada@xn--bcher-kva.de". NFC is applied after lowering because lowering can
// leave a decomposable sequence behind.
func NormalizeLogin(s string) string {
	// Lower case before the domain's conversion: a capital that IDNA
	// refuses (Cyrillic palochka, U+04C0) may have a small letter it takes,
	// and converting only after lowering makes normalising twice change
	// nothing (the fuzzer found "@Ӏ"; testdata/fuzz keeps it).
	s = norm.NFC.String(strings.ToLower(Canonical(s)))
	if strings.Contains(s, "@") {
		s = CanonicalEmail(s)
	}
	return norm.NFC.String(strings.ToLower(s))
}

// Canonical returns s trimmed and in Unicode NFC: the form in which an
// address or name is validated and stored, so input from a keyboard that
// sends combining marks (macOS) is treated like any other.
func Canonical(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// CanonicalEmail returns an address as it is stored and mailed: canonical,
// with an internationalised domain converted to its ASCII (punycode) form,
// which is what mail servers and SES route on. An address whose domain
// cannot be converted comes back unchanged (and fails validation).
func CanonicalEmail(raw string) string {
	s := Canonical(raw)
	at := strings.LastIndexByte(s, '@')
	if at < 0 || isASCII(s[at+1:]) {
		return s
	}
	domain, err := idna.Lookup.ToASCII(s[at+1:])
	if err != nil {
		return s
	}
	return s[:at+1] + domain
}

// EmailProblem is why an address is refused, as a stable code; "" means the
// address is acceptable. It judges the address in its CanonicalEmail form.
func EmailProblem(raw string) (code, message string) {
	if !utf8.ValidString(raw) {
		return "invalid_encoding", "Email must be valid UTF-8."
	}
	s := CanonicalEmail(raw)
	at := strings.LastIndexByte(s, '@')
	switch {
	case s == "":
		return "required", "Email is required."
	case len(s) > MaxEmailLength:
		return "too_long", "Email must have at most 254 bytes."
	case at > 0 && !isASCII(s[:at]) && validEmail(s):
		// SES, like most of the mail system, cannot deliver to a local part
		// outside ASCII (SMTPUTF8); refusing it now beats an account whose
		// mail can never arrive.
		return "unsupported_characters", "The part before @ must use only ASCII letters, digits and symbols."
	case !validEmail(s) || !isASCII(s):
		return "invalid_email", "Email is not a valid address."
	}
	return "", ""
}

// CheckEmail judges the address a form has in field: its problem
// (EmailProblem), if any, is added to f. It returns the address as stored
// (CanonicalEmail).
func CheckEmail(f *apperr.Fields, field, raw string) string {
	email := CanonicalEmail(raw)
	if code, msg := EmailProblem(email); code != "" {
		f.Add(field, code, msg)
	}
	return email
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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

// HasControl reports whether s is text a field must refuse: not valid UTF-8,
// or holding a control character (Unicode category Cc: the line breaks, tabs
// and NULs that break mail headers, logs and CSV exports), a format character
// (category Cf: the bidi embeddings, overrides and isolates U+202A-U+202E and
// U+2066-U+2069, the marks LRM U+200E, RLM U+200F and ALM U+061C, the
// zero-width space U+200B, ZWNJ U+200C, ZWJ U+200D, the word joiner U+2060,
// the byte order mark U+FEFF, the soft hyphen U+00AD and the rest of Cf,
// which can reorder or hide what a mail or a back-office screen shows), or
// the Unicode line and paragraph separators U+2028 and U+2029.
func HasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	}) >= 0
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// MaskEmail shows enough of an address for its owner to recognise it and
// little to anyone else: the first character of the local part and of the
// domain, and the top-level domain ("ada@example.com" → "a***@e***.com").
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" {
		return "***"
	}
	first := func(s string) string {
		for _, r := range s {
			return string(r)
		}
		return ""
	}
	tld := ""
	if i := strings.LastIndexByte(domain, '.'); i > 0 {
		tld = domain[i:]
	}
	return first(local) + "***@" + first(domain) + "***" + tld
}

// AddressDigest is what the table keys by in place of an address where the
// key must outlive the account or be found again at its erasure (interval
// claims, jobs that name a typed address): a digest of the normalised
// address, so nothing in a key names it.
func AddressDigest(email string) string {
	sum := sha256.Sum256([]byte(NormalizeLogin(email)))
	return hex.EncodeToString(sum[:16])
}
