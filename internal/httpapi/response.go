package httpapi

// Writing responses: bodies, headers, cookies.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/session"
)

// Response is what an endpoint answers.
type Response struct {
	Status  int
	Headers map[string]string
	Cookies []string
	Body    string
}

func (r *Response) event() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: r.Headers, Cookies: r.Cookies, Body: r.Body}
}

// baseHeaders are sent with every answer: nothing here may be cached by a
// shared cache, and browsers must not guess content types.
func baseHeaders() map[string]string {
	return map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}
}

func jsonResponse(status int, v any) *Response {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"code":"internal_error"}`)
		status = http.StatusInternalServerError
	}
	h := baseHeaders()
	h["Content-Type"] = "application/json; charset=utf-8"
	return &Response{Status: status, Headers: h, Body: string(b)}
}

func emptyResponse(status int) *Response {
	return &Response{Status: status, Headers: baseHeaders()}
}

// sessionCookie sets the session cookie. Without remember-me it is a browser
// session cookie; the server-side expiry applies either way.
func (a *API) sessionCookie(tok string, expires time.Time, persistent bool) string {
	c := &http.Cookie{Name: a.sessionCookieName(), Value: tok, Path: "/", HttpOnly: true, Secure: a.cookies.Secure, SameSite: http.SameSiteLaxMode}
	if persistent {
		c.Expires = expires.UTC()
		c.MaxAge = max(int(expires.Sub(a.now()).Seconds()), 1)
	}
	return c.String()
}

// deviceCookie carries a device token (OWASP's device cookie): HttpOnly,
// sent only to sign-in (Path=/v1/sessions), kept until the token's
// lifetime ends.
func (a *API) deviceCookie(tok string, expires time.Time) string {
	c := &http.Cookie{Name: DeviceCookie, Value: tok, Path: "/v1/sessions", HttpOnly: true, Secure: a.cookies.Secure,
		SameSite: http.SameSiteLaxMode, Expires: expires.UTC(), MaxAge: max(int(expires.Sub(a.now()).Seconds()), 1)}
	return c.String()
}

func (a *API) sessionCookieName() string {
	if a.cookies.Secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

func (a *API) clearSessionCookie() string {
	c := &http.Cookie{Name: a.sessionCookieName(), Value: "", Path: "/", HttpOnly: true, Secure: a.cookies.Secure, SameSite: http.SameSiteLaxMode, MaxAge: -1}
	return c.String()
}

// signedIn sets the cookies of a sign-in on resp: the cookie of session s
// (none where s is nil) and, where the request's guest became the customer
// (handedOver), the end of the guest cookie.
func (a *API) signedIn(resp *Response, s *session.Issued, persistent, handedOver bool) *Response {
	if s != nil {
		resp.Cookies = append(resp.Cookies, a.sessionCookie(s.Token, s.ExpiresAt, persistent))
	}
	if handedOver {
		resp.Cookies = append(resp.Cookies, a.clearGuestCookie())
	}
	return resp
}

// signedOut ends the session cookie with resp.
func (a *API) signedOut(resp *Response) *Response {
	resp.Cookies = append(resp.Cookies, a.clearSessionCookie())
	return resp
}

func retryAfter(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
