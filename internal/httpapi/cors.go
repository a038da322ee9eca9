package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openreg/registration/internal/settings"
)

// CORS is the API's cross-origin policy, declared once: the CDK stack
// configures API Gateway's CorsConfiguration with it, and the local gateway
// answers browsers with it (Preflight, Apply) as API Gateway's HTTP API
// does. Browser storefronts call from their own origins with the session
// cookie, so credentials are always allowed and origins are exact: the
// storefront's and urls.allowedOrigins, nothing else, never "*".
type CORS struct {
	AllowOrigins  []string
	AllowMethods  []string
	AllowHeaders  []string
	ExposeHeaders []string
	MaxAge        time.Duration
}

// CORSPolicy is the policy for a deployment's URLs.
func CORSPolicy(u settings.URLs) CORS {
	return CORS{
		AllowOrigins: u.BrowserOrigins(),
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead},
		// What a browser storefront sends: never a storefront key (a
		// server's secret) or a shopper's address (a server's word).
		AllowHeaders:  []string{"content-type", "authorization", "accept-language", "x-store-id", "x-guest-id", "x-session-transport", "x-device-token"},
		ExposeHeaders: []string{"retry-after", "location", "x-guest-id"},
		MaxAge:        time.Hour,
	}
}

// allowed reports whether a request's Origin may read the answer.
func (c CORS) allowed(origin string) bool {
	return origin != "" && slices.Contains(c.AllowOrigins, origin)
}

// IsPreflight reports whether r is a CORS preflight, which API Gateway
// answers itself, without a route: OPTIONS with Origin and
// Access-Control-Request-Method.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// Preflight answers a preflight: 204, with the policy's headers for an
// allowed origin (echoed) and none for any other.
func (c CORS) Preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); c.allowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	}
	w.WriteHeader(http.StatusNoContent)
}

// Apply sets an answer's CORS headers for the request's origin: what the
// function set is dropped (API Gateway ignores it), and an allowed origin is
// echoed with credentials and the exposed headers. A request from any other
// origin, or from no browser, is answered unchanged.
func (c CORS) Apply(h http.Header, origin string) {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Access-Control-") {
			h.Del(k)
		}
	}
	h.Add("Vary", "Origin")
	if c.allowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
}
