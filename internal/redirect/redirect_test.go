package redirect_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/redirect"
)

// refused are return URLs a browser could resolve to another origin, or that
// are refused outright (control characters, whitespace, overlong).
var refused = []struct {
	name string
	raw  string
}{
	{"a protocol-relative URL is refused", "//evil.example"},
	{"a slash then backslash is refused because browsers read it as //", "/\\evil.example"},
	{"two backslashes are refused because browsers read them as //", "\\\\evil.example"},
	{"a single backslash is refused", "\\evil.example"},
	{"an absolute https URL is refused", "https://evil.example"},
	{"an absolute URL with a local-looking path is refused", "https://evil.example/account"},
	{"a scheme without slashes is refused", "http:evil.example"},
	{"a javascript URL is refused", "javascript:alert(1)"},
	{"a mixed-case javascript URL is refused", "JaVaScRiPt:alert(1)"},
	{"a data URL is refused", "data:text/html,x"},
	{"a bare host name is refused", "evil.example"},
	{"a relative path is refused", "account"},
	{"a dot-relative path is refused", "./account"},
	{"a query without a path is refused", "?x=1"},
	{"a fragment without a path is refused", "#top"},
	{"a leading space is refused", " /path"},
	{"a leading space before // is refused", " //evil.example"},
	{"a leading tab is refused", "\t/path"},
	{"a tab between slashes is refused because browsers drop it", "/\t/evil.example"},
	{"a newline between slashes is refused because browsers drop it", "/\n/evil.example"},
	{"a newline in the path is refused", "/path\nx"},
	{"a carriage return in the path is refused", "/path\rx"},
	{"a NUL byte is refused", "/path\x00"},
	{"a space inside the path is refused", "/a b"},
	{"a no-break space is refused", "/a\u00a0b"},
	{"an ideographic space is refused", "/\u3000/evil.example"},
	{"a percent-encoded slash after the first slash is refused", "/%2F/evil.example"},
	{"a lower-case percent-encoded slash after the first slash is refused", "/%2f/evil.example"},
	{"a percent-encoded backslash after the first slash is refused", "/%5Cevil.example"},
	{"a lower-case percent-encoded backslash after the first slash is refused", "/%5cevil.example"},
	{"two percent-encoded backslashes are refused", "/%5C%5Cevil.example"},
	{"an invalid percent escape is refused", "/%zz"},
	{"the empty string is refused", ""},
	{"a 3000-character path is refused", "/" + strings.Repeat("a", 2999)},
	{"a path one byte over the limit is refused", "/" + strings.Repeat("a", 2048)},
	{"user info before a host is refused", "//user@evil.example"},
}

// accepted are same-origin paths that must be honoured unchanged.
var accepted = []struct {
	name string
	raw  string
}{
	{"the root is accepted", "/"},
	{"a plain path is accepted", "/account"},
	{"a path with a query is accepted", "/cart?x=1&y=2"},
	{"a nested path with a fragment is accepted", "/a/b#frag"},
	{"a percent-encoded non-ASCII letter is accepted", "/%C3%A4"},
	{"a raw non-ASCII letter is accepted", "/bücher"},
	{"a query naming another origin stays local", "/login?next=//evil.example"},
	{"a percent-encoded slash later in the path is accepted", "/a%2Fb"},
	{"a colon inside the path is accepted", "/a:b"},
	{"a trailing slash is accepted", "/account/"},
	{"a path of exactly the limit is accepted", "/" + strings.Repeat("a", 2047)},
}

func TestIsLocalRefuses(t *testing.T) {
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if redirect.IsLocal(tt.raw) {
				t.Errorf("IsLocal(%q) = true, want false", tt.raw)
			}
		})
	}
}

func TestIsLocalAccepts(t *testing.T) {
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			if !redirect.IsLocal(tt.raw) {
				t.Errorf("IsLocal(%q) = false, want true", tt.raw)
			}
		})
	}
}

func TestLocal(t *testing.T) {
	for _, tt := range refused {
		t.Run(tt.name+" and replaced by the fallback", func(t *testing.T) {
			if got, want := redirect.Local(tt.raw), redirect.Fallback; got != want {
				t.Errorf("Local(%q) = %q, want %q", tt.raw, got, want)
			}
		})
	}
	for _, tt := range accepted {
		t.Run(tt.name+" and returned unchanged", func(t *testing.T) {
			if got, want := redirect.Local(tt.raw), tt.raw; got != want {
				t.Errorf("Local(%q) = %q, want %q", tt.raw, got, want)
			}
		})
	}
}

func TestFallbackIsTheRoot(t *testing.T) {
	if got, want := redirect.Fallback, "/"; got != want {
		t.Errorf("Fallback = %q, want %q", got, want)
	}
	if !redirect.IsLocal(redirect.Fallback) {
		t.Errorf("IsLocal(Fallback) = false; the fallback itself must be local")
	}
}

// FuzzIsLocal checks that nothing IsLocal accepts can leave the origin.
func FuzzIsLocal(f *testing.F) {
	for _, tt := range refused {
		f.Add(tt.raw)
	}
	for _, tt := range accepted {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, s string) {
		local := redirect.IsLocal(s)
		if got := redirect.Local(s); (local && got != s) || (!local && got != redirect.Fallback) {
			t.Fatalf("Local(%q) = %q disagrees with IsLocal = %v", s, got, local)
		}
		if !local {
			return
		}
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, `/\`) {
			t.Fatalf("IsLocal(%q) = true but it does not start with a single '/'", s)
		}
		u, err := url.Parse(strings.ReplaceAll(s, `\`, "/"))
		if err != nil {
			t.Fatalf("IsLocal(%q) = true but url.Parse fails: %v", s, err)
		}
		if u.Scheme != "" || u.Host != "" {
			t.Fatalf("IsLocal(%q) = true but it parses with scheme %q and host %q", s, u.Scheme, u.Host)
		}
		// Browsers drop tabs and newlines and strip leading whitespace and
		// C0 controls; none of those may be in an accepted URL.
		if strings.ContainsAny(s, "\t\n\r \x00") {
			t.Fatalf("IsLocal(%q) = true but it contains whitespace or a control character", s)
		}
	})
}
