package httpapi

import (
	"net/http"
	"strings"

	"github.com/openreg/registration/internal/apperr"
)

// Cross-site requests. A browser sends a site's form posts, and the
// shopper's cookies with any request, wherever the page that sent them
// came from: a page on another site could post the confirm form with its
// own token and password and sign the victim's browser in to the
// attacker's account (login CSRF), or spend the victim's session or guest.
// So a request that changes state is refused, changing nothing, when it
// is a form post or carries one of our cookies and the browser says it
// comes from another site:
//   - an Origin header that is neither this API's public origin nor an
//     allowed storefront origin (settings urls: the storefront's and
//     allowedOrigins); "Origin: null" (a sandboxed or privacy-stripped
//     document) counts as another site unless Sec-Fetch-Site says
//     same-origin;
//   - or, without Origin, Sec-Fetch-Site: cross-site.
//
// Requests with neither header (servers, apps, old browsers that send no
// Origin on same-origin posts) are let through: the defence is the
// browser's word, which an attacker's page cannot forge. The pages send
// Referrer-Policy: same-origin, so their own forms post with their origin
// rather than "null". GET, HEAD and OPTIONS change nothing and are never
// refused. Tested in crosssite_test.go and, in a real browser, by
// e2e.TestBrowserFormPosts.

// formTypes are the content types an HTML form (or a no-preflight fetch)
// can send from any site.
var formTypes = map[string]bool{"application/x-www-form-urlencoded": true, "multipart/form-data": true, "text/plain": true}

// isForm reports whether r is a form post.
func (r *Request) isForm() bool { return formTypes[r.mediaType()] }

// browserCookies are the cookies that make a request the shopper's.
var browserCookies = []string{SessionCookie, SecureSessionCookie, GuestCookie, SecureGuestCookie, DeviceCookie}

// hasBrowserCookie reports whether r carries a session, guest or device
// cookie.
func (r *Request) hasBrowserCookie() bool {
	for _, name := range browserCookies {
		if r.Cookies[name] != "" {
			return true
		}
	}
	return false
}

// refuseCrossSite is the one check of the rule above, run before every
// endpoint.
func (a *API) refuseCrossSite(r *Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if !r.isForm() && !r.hasBrowserCookie() {
		return nil
	}
	origin, site := strings.TrimSpace(r.Headers["origin"]), strings.ToLower(strings.TrimSpace(r.Headers["sec-fetch-site"]))
	switch {
	case origin == "null" && site == "same-origin":
		return nil
	case origin != "" && origin != "null" && a.trustedOrigin(origin):
		return nil
	case origin == "" && site != "cross-site":
		return nil
	}
	return apperr.New(apperr.CrossSiteRequest, "This request came from another site and was refused.")
}

// trustedOrigin reports whether a browser page on origin may post to the
// API: the API's own pages and the storefronts.
func (a *API) trustedOrigin(o string) bool {
	o = strings.ToLower(o)
	if o == strings.ToLower(origin(a.settings.URLs.PublicAPI)) {
		return true
	}
	for _, allowed := range a.settings.URLs.BrowserOrigins() {
		if o == strings.ToLower(allowed) {
			return true
		}
	}
	return false
}
