package httpapi

import (
	"testing"

	"github.com/openreg/registration/internal/apperr"
)

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	a := newTestAPI()
	a.settings.URLs.AllowedOrigins = []string{"https://m.shop.example"}
	const form, jsonType = "application/x-www-form-urlencoded", "application/json"
	session := map[string]string{SecureSessionCookie: "x"}
	guest := map[string]string{GuestCookie: "g"}
	tests := []struct {
		name          string
		method, ctype string
		cookies       map[string]string
		origin, site  string
		refused       bool
	}{
		{"a form post from another site is refused", "POST", form, nil, "https://evil.example", "cross-site", true},
		{"a form post from a sibling subdomain is refused", "POST", form, nil, "https://evil.shop.example", "same-site", true},
		{"a form post from the API's own page passes", "POST", form, nil, "https://api.shop.example", "same-origin", false},
		{"a form post from the storefront passes", "POST", form, nil, "https://shop.example", "same-site", false},
		{"a form post from an allowed origin passes", "POST", form, nil, "https://m.shop.example", "cross-site", false},
		{"origins compare without case", "POST", form, nil, "HTTPS://Shop.Example", "", false},
		{"Origin null is refused", "POST", form, nil, "null", "cross-site", true},
		{"Origin null without Sec-Fetch-Site is refused", "POST", form, nil, "null", "", true},
		{"Origin null from the same origin passes", "POST", form, nil, "null", "same-origin", false},
		{"no Origin and Sec-Fetch-Site cross-site is refused", "POST", form, nil, "", "cross-site", true},
		{"no Origin and Sec-Fetch-Site same-site passes", "POST", form, nil, "", "same-site", false},
		{"a multipart post is a form post", "POST", "multipart/form-data; boundary=x", nil, "https://evil.example", "", true},
		{"a text/plain post is a form post", "POST", "text/plain", nil, "https://evil.example", "", true},
		{"a form post with neither header passes (a server)", "POST", form, nil, "", "", false},
		{"JSON with the session cookie from another site is refused", "DELETE", jsonType, session, "https://evil.example", "cross-site", true},
		{"JSON with the guest cookie from another site is refused", "PUT", jsonType, guest, "https://evil.example", "cross-site", true},
		{"JSON with a cookie from the storefront passes", "PATCH", jsonType, session, "https://shop.example", "same-site", false},
		{"JSON without cookies from another site is CORS's business", "POST", jsonType, nil, "https://evil.example", "cross-site", false},
		{"a GET with cookies from another site changes nothing and passes", "GET", "", session, "https://evil.example", "cross-site", false},
		{"a HEAD from another site passes", "HEAD", "", session, "", "cross-site", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Method: tt.method, Headers: map[string]string{}, Cookies: map[string]string{}}
			if tt.ctype != "" {
				r.Headers["content-type"] = tt.ctype
			}
			if tt.origin != "" {
				r.Headers["origin"] = tt.origin
			}
			if tt.site != "" {
				r.Headers["sec-fetch-site"] = tt.site
			}
			for k, v := range tt.cookies {
				r.Cookies[k] = v
			}
			err := a.refuseCrossSite(r)
			if got := apperr.CodeOf(err) == apperr.CrossSiteRequest; got != tt.refused || (err != nil && !got) {
				t.Errorf("refuseCrossSite = %v, want refused %v", err, tt.refused)
			}
		})
	}
}
