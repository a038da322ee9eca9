package redirect

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fallback is where a refused return URL sends the customer.
const Fallback = "/"

// maxLen bounds a return URL; longer ones are refused rather than stored.
const maxLen = 2048

// Local returns the normalised form of raw when that is a safe same-origin
// path, otherwise Fallback.
//
// Browsers are lenient: they treat "\" like "/", drop tabs and newlines
// anywhere in a URL, strip leading control characters and spaces, and read
// "%2e" as "." in a dot segment, so "/\evil.example", "/\t/evil.example",
// " //evil.example" and "/%2e//evil.example" all leave the site once a
// browser or a proxy has cleaned them up. Local therefore refuses any
// control character or space outright, normalises the path the way the
// WHATWG URL parser does for a path resolved against an http(s) base ("\"
// read as "/", "." and ".." segments, also written %2e, removed without
// climbing above the root), and judges and returns that normalised form,
// never raw: what the caller sends on is exactly what was checked, and
// normalising it again changes nothing. The query and fragment are kept as
// they are.
func Local(raw string) string {
	if p, ok := normalise(raw); ok {
		return p
	}
	return Fallback
}

// IsLocal reports whether Local honours raw, that is whether raw is a local
// path a browser resolves on the same origin. Local may still return a
// cleaner spelling of it ("/a/../b" comes back as "/b").
func IsLocal(raw string) bool {
	_, ok := normalise(raw)
	return ok
}

// normalise returns raw as a browser would resolve it relative to an
// http(s) page, and whether that is a same-origin path safe to hand out.
func normalise(raw string) (string, bool) {
	if raw == "" || len(raw) > maxLen || !utf8.ValidString(raw) {
		return "", false
	}
	for _, r := range raw {
		if unicode.IsControl(r) || r == ' ' || unicode.Is(unicode.Zs, r) {
			return "", false
		}
	}
	// raw itself must start with "/": "\path" only becomes a path once a
	// browser rewrites it, and the contract honours "/..." paths only.
	if !strings.HasPrefix(raw, "/") {
		return "", false
	}
	path, rest := raw, ""
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		path, rest = raw[:i], raw[i:]
	}
	// Browsers read "\" as "/" in the path of an http(s) URL (not in its
	// query or fragment), and "//" or "/\" at the start as the authority of
	// another origin: that is decided before any dot segment is removed.
	path = strings.ReplaceAll(path, `\`, "/")
	if strings.HasPrefix(path, "//") {
		return "", false
	}
	// Once dot segments are gone, "/.//host" is "//host": another origin to
	// whoever parses the result next.
	path = removeDotSegments(path)
	if strings.HasPrefix(path, "//") || strings.HasPrefix(path, `/\`) {
		return "", false
	}
	// Percent-encoded slashes, backslashes and dots ("/%2F/evil.example",
	// "/%5Cevil.example", "/%2e%2e%2f/evil.example") are decoded by some
	// servers and proxies, which would then see a protocol-relative URL.
	dec, err := url.PathUnescape(path)
	if err != nil {
		return "", false
	}
	if strings.HasPrefix(removeDotSegments(strings.ReplaceAll(dec, `\`, "/")), "//") {
		return "", false
	}
	out := path + rest
	u, err := url.Parse(out)
	// A path-absolute reference has neither scheme nor host; anything else
	// would leave the origin.
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return out, true
}

// removeDotSegments removes "." and ".." segments (also spelled with %2e or
// %2E) from a path that starts with "/", the way RFC 3986 section 5.2.4 and
// the WHATWG URL parser do: ".." removes the segment before it and never
// climbs above the root, and a dot segment at the end leaves a trailing "/".
// Empty segments are kept, as browsers keep them.
func removeDotSegments(path string) string {
	if !strings.Contains(path, ".") && !strings.Contains(path, "%") {
		return path // the common case: nothing to do
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case isDoubleDot(seg):
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case isSingleDot(seg):
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

func isSingleDot(seg string) bool {
	return seg == "." || strings.EqualFold(seg, "%2e")
}

func isDoubleDot(seg string) bool {
	switch strings.ToLower(seg) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}
