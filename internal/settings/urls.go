package settings

import "net/url"

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
		if !contains(out, o) {
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
