// Package httpapi is the HTTP adapter: it turns API Gateway HTTP API
// (payload 2.0) events into use-case calls and their results into responses.
// It owns the one table from error codes to HTTP statuses, the problem+json
// format, cookies and the confirm page. It holds no business rule.
//
// # Guarantees
//
// No cross-site forms or cookie requests (`internal/httpapi/crosssite.go`). Every form post and
// every request that changes state with a session or guest cookie is refused with 403
// `cross_site_request`, before the use case runs, when the browser says it comes from another
// site: an `Origin` that is neither the API's public origin nor a storefront origin
// (`urls.storefront`, `urls.allowedOrigins`), `Origin: null` unless `Sec-Fetch-Site: same-origin`,
// or no `Origin` with `Sec-Fetch-Site: cross-site`. Requests with neither header (servers, apps)
// are unaffected, and a form post never takes the guest from the cookie. The pages send
// `Referrer-Policy: same-origin`, so their own posts carry their origin. `TestBrowserFormPosts`
// drives Debian's Chromium headless: the page's own form confirms and signs in (its `Origin` is
// checked), and the same form posted by a page on 127.0.0.2 is refused and leaves no session. What
// it does not cover: a browser that sends neither header on a cross-site post (pre-2020 browsers
// without `Origin` on POST); SameSite=Lax cookies still keep their session out of such posts.
//
// Bounded waits. An HTTP function keeps 1.5 s of its invocation for answering: a dependency that
// hangs until then becomes a 503, not a killed function. SES sends get no per-call timeout,
// because a timed-out send may have been accepted and a retry would mail twice.
//
// Browser sessions stay in the cookie. A request with an `Origin` header gets no `sessionToken` in
// the body unless it sends `X-Session-Transport: token`; the cookie is `__Host-cr_session`
// (HttpOnly, Secure, Path=/, host-only) when Secure, `cr_session` in plain-HTTP local development
// (`TestBrowsersGetTheSessionOnlyInTheCookie`).
//
// Bad input stores nothing. Bodies are decoded strictly (16 KiB limit → 413, non-JSON → 415,
// unknown field → 400 `unknown_field`, a key twice in one object or a field's name in other letter
// case → 400 `invalid_body` at any depth, so a proxy or WAF that reads keys otherwise sees what we
// store (`TestBodiesAreReadWithExactKeys`), wrong types and a `null` where the document allows
// none → 400 naming the field) and validated completely before anything is written; every field
// problem is reported at once. A dependency failure answers 503 `service_unavailable` with
// `Retry-After` and no internal detail.
package httpapi
