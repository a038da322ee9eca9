package password

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"unicode"
	"unicode/utf8"

	"github.com/openreg/registration/internal/apperr"
)

// Policy is the store's password rule set. Lengths count characters (runes),
// not bytes, so a password in any script is measured the way a person would.
type Policy struct {
	MinLength              int  `json:"minLength"`
	MaxLength              int  `json:"maxLength"`
	RequireUppercase       bool `json:"requireUppercase"`
	RequireLowercase       bool `json:"requireLowercase"`
	RequireDigit           bool `json:"requireDigit"`
	RequireNonAlphanumeric bool `json:"requireNonAlphanumeric"`
	// BreachedCheck: "" refuses the passwords on the bundled list (always);
	// "range" also asks the Pwned Passwords range API (Range), where the
	// deployment allows egress.
	BreachedCheck string `json:"breachedCheck,omitempty"`
	// BreachedRangeURL is the range API ("" is PwnedRangeURL).
	BreachedRangeURL string `json:"breachedRangeUrl,omitempty"`
}

// DefaultPolicy is the seed shop system's default: 6 to 64 characters and no
// character-class rules.
func DefaultPolicy() Policy {
	return Policy{MinLength: 6, MaxLength: 64}
}

// maxAllowedLength bounds MaxLength so that a configured policy can never
// make hashing cost unbounded input.
const maxAllowedLength = 1024

// Validate reports a policy that cannot be satisfied or makes no sense.
func (p Policy) Validate() error {
	switch {
	case p.MinLength < 1:
		return fmt.Errorf("minLength must be at least 1, got %d", p.MinLength)
	case p.MaxLength < p.MinLength:
		return fmt.Errorf("maxLength (%d) must not be below minLength (%d)", p.MaxLength, p.MinLength)
	case p.MaxLength > maxAllowedLength:
		return fmt.Errorf("maxLength must be at most %d, got %d", maxAllowedLength, p.MaxLength)
	}
	classes := 0
	for _, on := range []bool{p.RequireUppercase, p.RequireLowercase, p.RequireDigit, p.RequireNonAlphanumeric} {
		if on {
			classes++
		}
	}
	if classes > p.MaxLength {
		return fmt.Errorf("maxLength (%d) is too short for %d required character classes", p.MaxLength, classes)
	}
	switch p.BreachedCheck {
	case BreachedOffline, BreachedRange:
	default:
		return fmt.Errorf("breachedCheck must be %q or left out, got %q", BreachedRange, p.BreachedCheck)
	}
	if u, err := url.Parse(p.BreachedRangeURL); p.BreachedRangeURL != "" && (err != nil || u.Host == "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())))) {
		return fmt.Errorf("breachedRangeUrl must be an https URL, got %q", p.BreachedRangeURL)
	}
	return nil
}

// RangeURL is the range API the policy asks.
func (p Policy) RangeURL() string {
	if p.BreachedRangeURL != "" {
		return p.BreachedRangeURL
	}
	return PwnedRangeURL
}

// loopback reports whether host is this machine (a test's range API).
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// Screen is a store's check of new passwords (registration, change, reset,
// invitation): its policy, the bundled list, and the range API where the
// policy asks for it.
type Screen struct {
	policy Policy
	rng    *Range
}

// RangeFor is the range API the policy asks (over client), nil when it
// asks none (BreachedCheck is not "range").
func RangeFor(policy Policy, client Doer, log *slog.Logger) *Range {
	if policy.BreachedCheck != BreachedRange {
		return nil
	}
	return NewRange(policy.RangeURL(), client, log)
}

// With is the policy's Screen, asking r (nil: none) where the policy asks
// the range API.
func (p Policy) With(r *Range) Screen {
	if p.BreachedCheck != BreachedRange {
		r = nil
	}
	return Screen{policy: p, rng: r}
}

// Check lists every rule pw breaks. The range API is asked only for a
// password that passes everything else.
func (s Screen) Check(ctx context.Context, pw string) []Violation {
	v := s.policy.Check(pw)
	if s.rng == nil || len(v) > 0 {
		return v
	}
	if s.rng.Breached(ctx, pw) {
		v = append(v, Violation{Breached, "This password appeared in a data breach; choose another."})
	}
	return v
}

// Add adds every rule pw breaks to f, as problems of field.
func (s Screen) Add(ctx context.Context, f *apperr.Fields, field, pw string) {
	for _, v := range s.Check(ctx, pw) {
		f.Add(field, v.Code, v.Message)
	}
}

// Violation is one rule a password broke, as a stable code and a message.
type Violation struct {
	Code    string
	Message string
}

// Check lists every rule the password breaks, the bundled list of common
// and leaked passwords included (offline); an empty list means it passes.
func (p Policy) Check(pw string) []Violation {
	var v []Violation
	if !utf8.ValidString(pw) {
		return []Violation{{"invalid_encoding", "Password must be valid UTF-8."}}
	}
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		v = append(v, Violation{"too_short", fmt.Sprintf("Password must have at least %d characters.", p.MinLength)})
	}
	if n > p.MaxLength {
		v = append(v, Violation{"too_long", fmt.Sprintf("Password must have at most %d characters.", p.MaxLength)})
	}
	var upper, lower, digit, other, control bool
	for _, r := range pw {
		switch {
		case unicode.IsControl(r):
			control = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsLetter(r):
			other = true
		}
	}
	if control {
		v = append(v, Violation{"control_character", "Password must not contain control characters."})
	}
	if p.RequireUppercase && !upper {
		v = append(v, Violation{"missing_uppercase", "Password must contain an uppercase letter."})
	}
	if p.RequireLowercase && !lower {
		v = append(v, Violation{"missing_lowercase", "Password must contain a lowercase letter."})
	}
	if p.RequireDigit && !digit {
		v = append(v, Violation{"missing_digit", "Password must contain a digit."})
	}
	if p.RequireNonAlphanumeric && !other {
		v = append(v, Violation{"missing_non_alphanumeric", "Password must contain a character that is neither a letter nor a digit."})
	}
	if Common(pw) {
		v = append(v, Violation{Breached, "This password is on a list of common and leaked passwords; choose another."})
	}
	return v
}

// Breached is the code of a password on the bundled list of common and
// leaked passwords (Common), or known to the Pwned Passwords range API.
const Breached = "password_breached"
