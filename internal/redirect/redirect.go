// Package redirect decides which return URLs the service may send a browser
// to. Only local paths are honoured: anything a browser could resolve to
// another origin is replaced by "/", which closes the open-redirect hole.
package redirect

import (
	"net/url"
	"strings"
	"unicode"
)

// Fallback is where a refused return URL sends the customer.
const Fallback = "/"

// maxLen bounds a return URL; longer ones are refused rather than stored.
const maxLen = 2048

// Local returns raw when it is a safe same-origin path, otherwise Fallback.
//
// Browsers are lenient: they treat "\" like "/", drop tabs and newlines
// anywhere in a URL, and strip leading control characters and spaces, so
// "/\evil.example", "/\t/evil.example" and " //evil.example" all leave the
// site. The check therefore normalises the way a browser would before
// deciding, and refuses any control character outright.
func Local(raw string) string {
	if IsLocal(raw) {
		return raw
	}
	return Fallback
}

// IsLocal reports whether raw is a local path a browser resolves on the same
// origin.
func IsLocal(raw string) bool {
	if raw == "" || len(raw) > maxLen {
		return false
	}
	for _, r := range raw {
		if unicode.IsControl(r) || r == ' ' || r == '\u00a0' || unicode.Is(unicode.Zs, r) {
			return false
		}
	}
	norm := strings.ReplaceAll(raw, `\`, "/")
	// raw itself must start with "/": "\path" only becomes a path once a
	// browser rewrites it, and the caller gets raw, not norm.
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(norm, "//") {
		return false
	}
	u, err := url.Parse(norm)
	if err != nil {
		return false
	}
	// A path-absolute reference has neither scheme nor host; anything else
	// would leave the origin.
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// Percent-encoded slashes and backslashes right after the first slash
	// ("/%2F/evil.example", "/%5Cevil.example") are decoded by some servers
	// and proxies into a protocol-relative URL.
	if dec, err := url.PathUnescape(norm); err == nil {
		dec = strings.ReplaceAll(dec, `\`, "/")
		if strings.HasPrefix(dec, "//") {
			return false
		}
	}
	return true
}
