package settings

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/openreg/registration/internal/redirect"
)

// URLs are the public addresses mails and redirects point at.
type URLs struct {
	// PublicAPI is the base URL of this API as customers reach it; mailed
	// links start with it.
	PublicAPI string `json:"publicApi"`
	// Storefront is the base URL of the shop; the confirm page sends the
	// customer to its LoginPath.
	Storefront string `json:"storefront"`
	LoginPath  string `json:"loginPath"`
	// AccountPath is where a customer lands after confirming the address
	// when the registration carried no local returnUrl ("" is the
	// storefront's root).
	AccountPath string `json:"accountPath"`
	// AllowedOrigins may call the API from a browser (CORS), besides the
	// storefront's own origin.
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
}

// BrowserOrigins is every origin allowed to call the API from a browser:
// the storefront's and AllowedOrigins.
func (u URLs) BrowserOrigins() []string {
	out := []string{originOf(u.Storefront)}
	for _, o := range u.AllowedOrigins {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func originOf(raw string) string {
	p, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// httpURL parses raw as an absolute http or https URL with a host.
func httpURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// validate checks the public API's and the storefront's addresses, the
// allowed origins and the storefront's paths.
func (u URLs) validate(p *problems) {
	for _, k := range [][2]string{{"urls.publicApi", u.PublicAPI}, {"urls.storefront", u.Storefront}} {
		if v, ok := httpURL(k[1]); !ok || v.RawQuery != "" || v.Fragment != "" {
			p.bad(k[0], "must be an absolute http(s) URL without query or fragment, got %q", k[1])
		}
	}
	for i, o := range u.AllowedOrigins {
		if _, ok := httpURL(o); !ok || originOf(o) != o {
			p.bad(fmt.Sprintf("urls.allowedOrigins[%d]", i), "must be an origin such as https://shop.example (no path), got %q", o)
		}
	}
	for _, k := range [][2]string{{"urls.loginPath", u.LoginPath}, {"urls.accountPath", u.AccountPath}} {
		if k[0] == "urls.accountPath" && k[1] == "" {
			continue // the storefront's root
		}
		if !redirect.IsLocal(k[1]) || redirect.Local(k[1]) != k[1] || strings.ContainsAny(k[1], "?#") {
			p.bad(k[0], "must be a path starting with a single '/', got %q", k[1])
		}
	}
}
