package customer_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
)

// emailOfLength builds a valid address of exactly n bytes (n between 68 and
// 254) from a 64-character local part and labels of at most 63 characters.
func emailOfLength(t *testing.T, n int) string {
	t.Helper()
	local := strings.Repeat("l", 64)
	rest := n - len(local) - 1 // the domain
	var labels []string
	for rest > 0 {
		size := min(63, rest)
		if rest-size == 1 { // leave room for another label, not a bare dot
			size--
		}
		labels = append(labels, strings.Repeat("d", size))
		rest -= size + 1 // the label and the dot before the next one
	}
	s := local + "@" + strings.Join(labels, ".")
	if len(s) != n {
		t.Fatalf("emailOfLength(%d) built %d bytes", n, len(s))
	}
	return s
}

func TestEmailOfLengthBuildsWhatItSays(t *testing.T) {
	for _, n := range []int{68, 200, 254, 255} {
		s := emailOfLength(t, n)
		local, domain, _ := strings.Cut(s, "@")
		if len(local) > 64 {
			t.Errorf("emailOfLength(%d): local part has %d characters", n, len(local))
		}
		for _, l := range strings.Split(domain, ".") {
			if len(l) < 1 || len(l) > 63 {
				t.Errorf("emailOfLength(%d): label %q has %d characters", n, l, len(l))
			}
		}
	}
}

func TestNormalizeLogin(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"case and surrounding spaces do not matter", "Ada@Example.com ", "ada@example.com"},
		{"leading tabs and newlines are trimmed", "\t\nADA@EXAMPLE.COM", "ada@example.com"},
		{"a composed and a decomposed é are one login", "jos\u00e9@example.com", "jose\u0301@example.com"},
		{"a decomposed upper-case É equals a composed lower-case é", "JOSE\u0301", "jos\u00e9"},
		{"non-ASCII letters are lower-cased", "JÜRGEN@BÜCHER.DE", "jürgen@bücher.de"},
		{"the Angstrom sign equals the letter Å", "\u212bsa", "\u00e5sa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := customer.NormalizeLogin(tt.a), customer.NormalizeLogin(tt.b); got != want {
				t.Errorf("NormalizeLogin(%q) = %q, NormalizeLogin(%q) = %q; want them equal", tt.a, got, tt.b, want)
			}
		})
	}

	exact := []struct {
		name string
		in   string
		want string
	}{
		{"an address is trimmed and lower-cased", " Ada@Example.com ", "ada@example.com"},
		{"a decomposed é comes out composed", "Jose\u0301", "jos\u00e9"},
		{"an already normal login is unchanged", "ada.lovelace", "ada.lovelace"},
		{"inner spaces are kept", "a b", "a b"},
		{"whitespace only normalizes to empty", "  \t ", ""},
	}
	for _, tt := range exact {
		t.Run(tt.name, func(t *testing.T) {
			if got := customer.NormalizeLogin(tt.in); got != tt.want {
				t.Errorf("NormalizeLogin(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	different := []struct {
		name string
		a, b string
	}{
		{"different addresses stay different", "ada@example.com", "ada@example.org"},
		{"a dot in the local part is significant", "a.da@example.com", "ada@example.com"},
		{"a plus tag is significant", "ada+shop@example.com", "ada@example.com"},
		{"an accent is significant", "jose@example.com", "jos\u00e9@example.com"},
	}
	for _, tt := range different {
		t.Run(tt.name, func(t *testing.T) {
			if got := customer.NormalizeLogin(tt.a); got == customer.NormalizeLogin(tt.b) {
				t.Errorf("NormalizeLogin(%q) = NormalizeLogin(%q) = %q; want them different", tt.a, tt.b, got)
			}
		})
	}
}

// problemCase is an identifier and the code a Problem function gives it.
type problemCase struct {
	name string
	raw  string
	want string // "" means accepted
}

// checkProblems runs the cases through problem, called fn in messages: each
// must get its code, and a message exactly when there is a code.
func checkProblems(t *testing.T, fn string, problem func(string) (code, message string), tests []problemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := problem(tt.raw)
			if code != tt.want {
				t.Errorf("%s(%q) code = %q, want %q", fn, tt.raw, code, tt.want)
			}
			if (code == "") != (msg == "") {
				t.Errorf("%s(%q) = %q, %q; want a message exactly when there is a code", fn, tt.raw, code, msg)
			}
		})
	}
}

func TestEmailProblem(t *testing.T) {
	tests := []problemCase{
		{"a short address is accepted", "a@b.co", ""},
		{"dots and a plus tag are accepted", "first.last+tag@sub.example.com", ""},
		{"an apostrophe is accepted", "o'brien@example.ie", ""},
		{"an internationalized domain is accepted (and mailed in punycode)", "juergen@bücher.de", ""},
		{"a non-Latin domain is accepted", "info@例子.广告", ""},
		{"a local part outside ASCII is refused: SES cannot deliver to it", "jürgen@bücher.de", "unsupported_characters"},
		{"a non-Latin local part is refused", "用户@例子.广告", "unsupported_characters"},
		{"every atext symbol is accepted in the local part", "!#$%&'*+/=?^_`{|}~-@example.com", ""},
		{"a hyphen inside a label is accepted", "a@my-shop.example", ""},
		{"digits in labels are accepted when the TLD has a letter", "a@123.example1", ""},
		{"surrounding spaces are trimmed", "  a@b.co\t", ""},
		{"exactly 254 characters are accepted", emailOfLength(t, 254), ""},
		{"a 64-character local part is accepted", strings.Repeat("x", 64) + "@b.co", ""},
		{"a 63-character label is accepted", "a@" + strings.Repeat("x", 63) + ".com", ""},

		{"the empty string is required", "", "required"},
		{"whitespace only is required", " \t\n", "required"},
		{"255 characters are too_long", emailOfLength(t, 255), "too_long"},
		{"a very long address is too_long", strings.Repeat("a", 300) + "@b.co", "too_long"},
		{"invalid UTF-8 is invalid_encoding", "a\xff@b.com", "invalid_encoding"},
		{"invalid UTF-8 wins over length", strings.Repeat("a", 300) + "\xff@b.com", "invalid_encoding"},
		{"no at sign is invalid_email", "no-at-sign", "invalid_email"},
		{"a single-label domain is invalid_email", "a@b", "invalid_email"},
		{"an all-digit top-level domain is invalid_email", "a@1.2", "invalid_email"},
		{"an IP-like domain is invalid_email", "a@127.0.0.1", "invalid_email"},
		{"a leading dot in the local part is invalid_email", ".a@b.com", "invalid_email"},
		{"a trailing dot in the local part is invalid_email", "a.@b.com", "invalid_email"},
		{"two dots in the local part are invalid_email", "a..b@c.com", "invalid_email"},
		{"a label starting with a hyphen is invalid_email", "a@-b.com", "invalid_email"},
		{"a label ending with a hyphen is invalid_email", "a@b-.com", "invalid_email"},
		{"an empty label is invalid_email", "a@b..com", "invalid_email"},
		{"a trailing dot in the domain is invalid_email", "a@b.com.", "invalid_email"},
		{"an underscore in the domain is invalid_email", "a@b_c.com", "invalid_email"},
		{"a space in the local part is invalid_email", "a b@c.com", "invalid_email"},
		{"a quoted local part is invalid_email", "\"quoted\"@c.com", "invalid_email"},
		{"an IP literal is invalid_email", "a@[127.0.0.1]", "invalid_email"},
		{"an empty local part is invalid_email", "@b.com", "invalid_email"},
		{"an empty domain is invalid_email", "a@", "invalid_email"},
		{"two at signs are invalid_email", "a@b@c.com", "invalid_email"},
		{"a display name is invalid_email", "Ada <a@b.com>", "invalid_email"},
		{"a header injection is invalid_email", "a@b.com\nBcc: x@y.com", "invalid_email"},
		{"a NUL byte is invalid_email", "a\x00@b.com", "invalid_email"},
		{"a 65-character local part is invalid_email", strings.Repeat("x", 65) + "@b.co", "invalid_email"},
		{"a 64-character label is invalid_email", "a@" + strings.Repeat("x", 64) + ".com", "invalid_email"},
		{"a symbol outside ASCII is invalid_email", "a☃@b.com", "invalid_email"},
	}
	checkProblems(t, "EmailProblem", customer.EmailProblem, tests)
}

func TestCheckEmail(t *testing.T) {
	var f apperr.Fields
	if got := customer.CheckEmail(&f, "newEmail", " ada@bücher.de "); got != "ada@xn--bcher-kva.de" || len(f) != 0 {
		t.Errorf("CheckEmail = %q with problems %+v, want the address as stored and none", got, f)
	}
	if got := customer.CheckEmail(&f, "newEmail", " nope "); got != "nope" || len(f) != 1 || f[0].Field != "newEmail" || f[0].Code != "invalid_email" {
		t.Errorf("CheckEmail = %q with problems %+v, want the address and its problem under newEmail", got, f)
	}
}

func TestUsernameProblem(t *testing.T) {
	tests := []problemCase{
		{"letters are accepted", "ada", ""},
		{"dots, underscores, hyphens and digits are accepted", "ada.l_ove-lace1815", ""},
		{"non-ASCII letters are accepted", "Jürgen", ""},
		{"non-Latin letters are accepted", "用户", ""},
		{"surrounding spaces are trimmed", " ada ", ""},
		{"64 characters are accepted", strings.Repeat("a", 64), ""},
		{"64 two-byte characters are accepted (runes are counted)", strings.Repeat("ä", 64), ""},
		{"the empty string is required", "", "required"},
		{"whitespace only is required", "   ", "required"},
		{"65 characters are too_long", strings.Repeat("a", 65), "too_long"},
		{"65 two-byte characters are too_long", strings.Repeat("ä", 65), "too_long"},
		{"an at sign is invalid_username", "ada@example.com", "invalid_username"},
		{"an inner space is invalid_username", "ada lovelace", "invalid_username"},
		{"a plus is invalid_username", "ada+1", "invalid_username"},
		{"a slash is invalid_username", "ada/1", "invalid_username"},
		{"a newline is invalid_username", "ada\nx", "invalid_username"},
		{"a NUL byte is invalid_username", "ada\x00", "invalid_username"},
		{"an emoji is invalid_username", "ada😀", "invalid_username"},
		{"invalid UTF-8 is invalid_username", "ada\xff", "invalid_username"},
	}
	checkProblems(t, "UsernameProblem", customer.UsernameProblem, tests)
}

func TestHasControl(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"a NUL byte is a control character", "a\x00b", true},
		{"a newline is a control character", "a\nb", true},
		{"a carriage return is a control character", "a\rb", true},
		{"a tab is a control character", "a\tb", true},
		{"DEL is a control character", "a\x7fb", true},
		{"a C1 control (NEL) is a control character", "a\u0085b", true},
		{"the Unicode line separator counts as a control character", "a\u2028b", true},
		{"the Unicode paragraph separator counts as a control character", "a\u2029b", true},
		{"invalid UTF-8 counts as a control character", "a\xffb", true},
		{"a control character at the end is found", "ada\n", true},
		{"the empty string has none", "", false},
		{"plain text has none", "Ada Lovelace", false},
		{"punctuation has none", "o'brien+shop@example.ie", false},
		{"accented and non-Latin text has none", "Jürgen 用户", false},
		{"an emoji has none", "😀👍🏽", false},
		{"a no-break space has none", "a\u00a0b", false},
		{"a name with diacritics, an apostrophe and a hyphen has none", "Zoë Ångström-O'Brien", false},
		{"a typographic apostrophe has none", "O\u2019Brien", false},
		{"Arabic letters have none", "محمد", false},
		{"Devanagari letters with combining marks have none", "श्रीनिवास", false},
		{"a format character at the start is found", "\u202eAda", true},
		{"an emoji sequence joined by ZWJ is refused because ZWJ is a format character", "👩\u200d💻", true},
		{"a tag character (Cf) is refused", "a\U000E0041b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := customer.HasControl(tt.s); got != tt.want {
				t.Errorf("HasControl(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

// TestHasControlRefusesFormatAndBidiCharactersInAName puts each character
// that can reorder, hide or split what a mail or screen shows into an
// otherwise plain name.
func TestHasControlRefusesFormatAndBidiCharactersInAName(t *testing.T) {
	const name = "Zoë Ångström-O'Brien"
	if customer.HasControl(name) {
		t.Fatalf("HasControl(%q) = true, want the plain name accepted", name)
	}
	chars := []struct {
		name string
		r    rune
	}{
		{"left-to-right embedding U+202A", '\u202a'},
		{"right-to-left embedding U+202B", '\u202b'},
		{"pop directional formatting U+202C", '\u202c'},
		{"left-to-right override U+202D", '\u202d'},
		{"right-to-left override U+202E", '\u202e'},
		{"left-to-right isolate U+2066", '\u2066'},
		{"right-to-left isolate U+2067", '\u2067'},
		{"first strong isolate U+2068", '\u2068'},
		{"pop directional isolate U+2069", '\u2069'},
		{"left-to-right mark U+200E", '\u200e'},
		{"right-to-left mark U+200F", '\u200f'},
		{"Arabic letter mark U+061C", '\u061c'},
		{"zero-width space U+200B", '\u200b'},
		{"zero-width non-joiner U+200C", '\u200c'},
		{"zero-width joiner U+200D", '\u200d'},
		{"word joiner U+2060", '\u2060'},
		{"byte order mark U+FEFF", '\ufeff'},
		{"soft hyphen U+00AD", '\u00ad'},
		{"line separator U+2028", '\u2028'},
		{"paragraph separator U+2029", '\u2029'},
	}
	for _, c := range chars {
		for _, pos := range []struct {
			where string
			s     string
		}{
			{"at the start", string(c.r) + name},
			{"in the middle", "Zoë " + string(c.r) + "Ångström-O'Brien"},
			{"at the end", name + string(c.r)},
		} {
			t.Run("the "+c.name+" "+pos.where+" of a name is refused", func(t *testing.T) {
				if !customer.HasControl(pos.s) {
					t.Errorf("HasControl(%q) = false, want true", pos.s)
				}
			})
		}
	}
	t.Run("invalid UTF-8 in a name is refused", func(t *testing.T) {
		if s := "Zo\xc3 Ångström"; !customer.HasControl(s) {
			t.Errorf("HasControl(%q) = false, want true", s)
		}
	})
}

// FuzzEmailProblem checks what every accepted address is guaranteed to be.
func FuzzEmailProblem(f *testing.F) {
	for _, s := range []string{
		"a@b.co", "first.last+tag@sub.example.com", "o'brien@example.ie", "jürgen@bücher.de",
		"", "no-at-sign", "a@b", "a@1.2", ".a@b.com", "a..b@c.com", "a@-b.com", "a b@c.com",
		"\"quoted\"@c.com", "a@[127.0.0.1]", "a\xff@b.com", " a@b.co\n", "a@b.com\u2028",
		strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("d", 61),
	} {
		f.Add(s)
	}
	codes := map[string]bool{"": true, "required": true, "invalid_encoding": true, "too_long": true, "invalid_email": true, "unsupported_characters": true}
	f.Fuzz(func(t *testing.T, s string) {
		code, msg := customer.EmailProblem(s)
		if !codes[code] {
			t.Fatalf("EmailProblem(%q) = unknown code %q", s, code)
		}
		if (code == "") != (msg == "") {
			t.Fatalf("EmailProblem(%q) = %q, %q; want a message exactly when there is a code", s, code, msg)
		}
		if code != "" {
			return
		}
		// The caller stores the canonical address, so that is what the
		// guarantees are about.
		trimmed := customer.CanonicalEmail(s)
		if len(trimmed) > customer.MaxEmailLength {
			t.Fatalf("EmailProblem accepted %q of %d bytes", s, len(trimmed))
		}
		if n := strings.Count(trimmed, "@"); n != 1 {
			t.Fatalf("EmailProblem accepted %q with %d at signs", s, n)
		}
		if !utf8.ValidString(trimmed) {
			t.Fatalf("EmailProblem accepted invalid UTF-8 %q", s)
		}
		if customer.HasControl(trimmed) {
			t.Fatalf("EmailProblem accepted %q, which holds a control character", s)
		}
		if strings.ContainsAny(trimmed, " <>\"[]()\\,;:") {
			t.Fatalf("EmailProblem accepted %q, which holds a character mail headers treat specially", s)
		}
	})
}

// FuzzNormalizeLogin: normalising a login is idempotent, so a key computed
// at registration and one computed from a normalised login agree.
func FuzzNormalizeLogin(f *testing.F) {
	for _, seed := range []string{"Ada@Example.COM", " ada ", "ÄDA@bücher.example", "ada@xn--bcher-kva.example", "İ", "ß@ß"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, login string) {
		once := customer.NormalizeLogin(login)
		if twice := customer.NormalizeLogin(once); twice != once {
			t.Errorf("NormalizeLogin(%q) = %q, but normalising that gives %q", login, once, twice)
		}
		canon := customer.CanonicalEmail(login)
		if again := customer.CanonicalEmail(canon); again != canon {
			t.Errorf("CanonicalEmail(%q) = %q, but again gives %q", login, canon, again)
		}
	})
}
