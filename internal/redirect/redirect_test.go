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
	{"a carriage return between slashes is refused because browsers drop it", "/\r/evil.example"},
	{"a newline in the path is refused", "/path\nx"},
	{"a carriage return in the path is refused", "/path\rx"},
	{"a NUL byte is refused", "/path\x00"},
	{"a space inside the path is refused", "/a b"},
	{"a no-break space is refused", "/a\u00a0b"},
	{"an ideographic space is refused", "/\u3000/evil.example"},
	{"invalid UTF-8 is refused", "/a\xffb"},
	{"a percent-encoded slash after the first slash is refused", "/%2F/evil.example"},
	{"a lower-case percent-encoded slash after the first slash is refused", "/%2f/evil.example"},
	{"a percent-encoded backslash after the first slash is refused", "/%5Cevil.example"},
	{"a lower-case percent-encoded backslash after the first slash is refused", "/%5cevil.example"},
	{"two percent-encoded backslashes are refused", "/%5C%5Cevil.example"},
	{"fully percent-encoded dots and slash before // are refused", "/%2e%2e%2f/evil.example"},
	{"an invalid percent escape is refused", "/%zz"},
	{"the empty string is refused", ""},
	{"a 3000-character path is refused", "/" + strings.Repeat("a", 2999)},
	{"a path one byte over the limit is refused", "/" + strings.Repeat("a", 2048)},
	{"user info before a host is refused", "//user@evil.example"},

	// Dot segments that a browser removes, leaving "//evil.example".
	{"a dot segment before // is refused", "/.//evil.example"},
	{"a lower-case percent-encoded dot segment before // is refused", "/%2e//evil.example"},
	{"an upper-case percent-encoded dot segment before // is refused", "/%2E//evil.example"},
	{"a dot segment then a backslash is refused", "/./\\evil.example"},
	{"a dot segment between backslashes is refused", "/\\.\\evil.example"},
	{"a percent-encoded double-dot segment before // is refused", "/%2E%2E//evil.example"},
	{"a half percent-encoded double-dot segment before // is refused", "/.%2e//evil.example"},
	{"a double-dot segment that climbs back to the root before // is refused", "/a/..//evil.example"},
	{"a double-dot segment above the root before // is refused", "/../..//evil.example"},
	{"double-dot segments climbing out of two directories before // are refused", "/a/b/../..//evil.example"},
	{"a backslash double-dot segment before a backslash is refused", "/a\\..\\\\evil.example"},
	{"many dot segments before // are refused", "/./././/evil.example"},
	{"a dot segment before two slashes is refused", "/.//"},
}

// accepted are same-origin paths that must be honoured unchanged.
var accepted = []struct {
	name string
	raw  string
}{
	{"the root is accepted", "/"},
	{"a plain path is accepted", "/account"},
	{"a path with a query and a fragment is accepted", "/account?tab=orders#x"},
	{"a path with a numbered step is accepted", "/checkout/step-2"},
	{"a path with a query is accepted", "/cart?x=1&y=2"},
	{"a nested path with a fragment is accepted", "/a/b#frag"},
	{"a percent-encoded non-ASCII letter is accepted", "/%C3%A4"},
	{"a raw non-ASCII letter is accepted", "/bücher"},
	{"a query naming another origin stays local", "/login?next=//evil.example"},
	{"a query holding dot segments and backslashes is kept as it is", "/login?next=/./\\x/../y"},
	{"a fragment holding dot segments is kept as it is", "/faq#/../a/./b"},
	{"a percent-encoded slash later in the path is accepted", "/a%2Fb"},
	{"a colon inside the path is accepted", "/a:b"},
	{"a trailing slash is accepted", "/account/"},
	{"an empty segment inside the path is kept", "/a//b"},
	{"a segment of three dots is not a dot segment", "/a/..."},
	{"a segment starting with a dot is not a dot segment", "/.well-known/x"},
	{"a segment starting with an encoded dot is not a dot segment", "/%2ehidden"},
	{"a path of exactly the limit is accepted", "/" + strings.Repeat("a", 2047)},
}

// normalised are same-origin paths that are honoured in their normalised
// form.
var normalised = []struct {
	name string
	raw  string
	want string
}{
	{"a dot segment and a double-dot segment are removed", "/a/./b/../c", "/a/c"},
	{"a dot segment is removed", "/./account", "/account"},
	{"a percent-encoded dot segment is removed", "/%2e/account", "/account"},
	{"a percent-encoded double-dot segment is removed", "/a/%2E%2e/account", "/account"},
	{"a double-dot segment never climbs above the root", "/../../account", "/account"},
	{"a double-dot segment alone is the root", "/..", "/"},
	{"a dot segment alone is the root", "/.", "/"},
	{"a trailing dot segment leaves a trailing slash", "/a/.", "/a/"},
	{"a trailing double-dot segment leaves a trailing slash", "/a/b/..", "/a/"},
	{"backslashes in the path become slashes", "/a\\b\\c", "/a/b/c"},
	{"a backslash before a double-dot segment is a slash", "/a\\..\\b", "/b"},
	{"the query and fragment are kept as they are", "/a/../b?x=/./\\y#/../z", "/b?x=/./\\y#/../z"},
}

func TestLocalRefuses(t *testing.T) {
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := redirect.Local(tt.raw), redirect.Fallback; got != want {
				t.Errorf("Local(%q) = %q, want the fallback %q", tt.raw, got, want)
			}
			if redirect.IsLocal(tt.raw) {
				t.Errorf("IsLocal(%q) = true, want false", tt.raw)
			}
		})
	}
}

func TestLocalReturnsNormalPathsUnchanged(t *testing.T) {
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			if got := redirect.Local(tt.raw); got != tt.raw {
				t.Errorf("Local(%q) = %q, want it unchanged", tt.raw, got)
			}
			if !redirect.IsLocal(tt.raw) {
				t.Errorf("IsLocal(%q) = false, want true", tt.raw)
			}
		})
	}
}

func TestLocalNormalisesTheWayBrowsersDo(t *testing.T) {
	for _, tt := range normalised {
		t.Run(tt.name, func(t *testing.T) {
			if got := redirect.Local(tt.raw); got != tt.want {
				t.Errorf("Local(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if !redirect.IsLocal(tt.raw) {
				t.Errorf("IsLocal(%q) = false, want true: Local honours it", tt.raw)
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

// base is a storefront page a returned path is resolved against.
var base = func() *url.URL {
	u, err := url.Parse("https://shop.example/base/")
	if err != nil {
		panic(err)
	}
	return u
}()

// checkLocal asserts what Local guarantees for any input.
func checkLocal(t *testing.T, s string) {
	t.Helper()
	got := redirect.Local(s)
	if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, `/\`) {
		t.Fatalf("Local(%q) = %q, which does not start with exactly one '/'", s, got)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatalf("Local(%q) = %q, which net/url cannot parse: %v", s, got, err)
	}
	if r := base.ResolveReference(u); r.Scheme != "https" || r.Host != "shop.example" || r.User != nil {
		t.Fatalf("Local(%q) = %q resolves to %q, off the storefront's origin", s, got, r)
	}
	if again := redirect.Local(got); again != got {
		t.Fatalf("Local(%q) = %q but Local(%q) = %q; want normalising to be idempotent", s, got, got, again)
	}
	// Browsers drop tabs and newlines and strip leading whitespace and C0
	// controls; none of those may be in a returned path.
	if strings.ContainsAny(got, "\t\n\r \x00") {
		t.Fatalf("Local(%q) = %q, which holds whitespace or a control character", s, got)
	}
	if browser := strings.ReplaceAll(got, `\`, "/"); strings.HasPrefix(browser, "//") {
		t.Fatalf("Local(%q) = %q, which a browser reads as %q", s, got, browser)
	}
	if !redirect.IsLocal(s) {
		if got != redirect.Fallback {
			t.Fatalf("IsLocal(%q) = false but Local(%q) = %q, want the fallback", s, s, got)
		}
		return
	}
	// The query and fragment come through as they were.
	if i := strings.IndexAny(s, "?#"); i >= 0 && !strings.HasSuffix(got, s[i:]) {
		t.Fatalf("Local(%q) = %q lost the query or fragment %q", s, got, s[i:])
	}
}

func TestLocalPropertiesHoldForEveryCase(t *testing.T) {
	var all []string
	for _, tt := range refused {
		all = append(all, tt.raw)
	}
	for _, tt := range accepted {
		all = append(all, tt.raw)
	}
	for _, tt := range normalised {
		all = append(all, tt.raw)
	}
	for _, s := range all {
		t.Run(s, func(t *testing.T) { checkLocal(t, s) })
	}
}

// FuzzLocal checks that nothing Local returns can leave the origin, that
// what it returns is already normal, and that IsLocal agrees with it.
func FuzzLocal(f *testing.F) {
	for _, tt := range refused {
		f.Add(tt.raw)
	}
	for _, tt := range accepted {
		f.Add(tt.raw)
	}
	for _, tt := range normalised {
		f.Add(tt.raw)
	}
	f.Fuzz(checkLocal)
}
