package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/text/language"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
)

// MaxBody is the largest request body accepted (16 KiB).
const MaxBody = 16 << 10

// Cookie names of the contract. Where cookies are Secure the session cookie
// is SecureSessionCookie: the __Host- prefix makes browsers refuse it unless
// it is Secure, host-only and for Path=/, so no subdomain can plant or
// shadow it.
const (
	SessionCookie       = "cr_session"
	SecureSessionCookie = "__Host-cr_session"
	GuestCookie         = "cr_guest"
)

// Request is the part of an API Gateway event the endpoints use.
type Request struct {
	Method    string
	Path      string
	Query     url.Values
	Headers   map[string]string // lower-case names
	Cookies   map[string]string
	Body      []byte
	bodyErr   error
	RequestID string
	SourceIP  string
}

func newRequest(ev events.APIGatewayV2HTTPRequest) *Request {
	r := &Request{
		Method:    ev.RequestContext.HTTP.Method,
		Path:      ev.RawPath,
		Headers:   map[string]string{},
		Cookies:   map[string]string{},
		RequestID: ev.RequestContext.RequestID,
		SourceIP:  ev.RequestContext.HTTP.SourceIP,
	}
	if r.Path == "" {
		r.Path = ev.RequestContext.HTTP.Path
	}
	r.Query, _ = url.ParseQuery(ev.RawQueryString)
	for k, v := range ev.Headers {
		r.Headers[strings.ToLower(k)] = v
	}
	for _, c := range ev.Cookies {
		name, value, ok := strings.Cut(c, "=")
		if ok {
			if _, seen := r.Cookies[strings.TrimSpace(name)]; !seen {
				r.Cookies[strings.TrimSpace(name)] = strings.TrimSpace(value)
			}
		}
	}
	switch {
	case ev.IsBase64Encoded:
		r.Body, r.bodyErr = base64.StdEncoding.DecodeString(ev.Body)
	default:
		r.Body = []byte(ev.Body)
	}
	return r
}

// SessionToken returns the session the request carries: the Authorization
// bearer token, else the session cookie.
func (r *Request) SessionToken() string {
	if auth := r.Headers["authorization"]; auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	if tok := r.Cookies[SecureSessionCookie]; tok != "" {
		return tok
	}
	return r.Cookies[SessionCookie]
}

// WantsToken reports whether the session token may go in the answer's body:
// callers that are not browsers (no Origin header) get it, browsers only
// when they ask with X-Session-Transport: token. A browser's session stays
// in its HttpOnly cookie, out of reach of the page's scripts.
func (r *Request) WantsToken() bool {
	return r.Headers["origin"] == "" || strings.EqualFold(strings.TrimSpace(r.Headers["x-session-transport"]), "token")
}

// anyLanguage is how the parser reads "*".
var anyLanguage = language.Make("mul")

// Languages returns the Accept-Language tags, best first (quality, then
// order; q=0 and * dropped), as x/text's parser reads them. A header it
// cannot read gives none: the store's default language then applies.
func (r *Request) Languages() []string {
	tags, _, err := language.ParseAcceptLanguage(r.Headers["accept-language"])
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t != language.Und && t != anyLanguage {
			out = append(out, t.String())
		}
	}
	return out
}

// mediaType returns the request's content type without parameters.
func (r *Request) mediaType() string {
	mt, _, err := mime.ParseMediaType(r.Headers["content-type"])
	if err != nil {
		return ""
	}
	return mt
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// checkBody enforces the size limit and body decoding.
func (r *Request) checkBody() error {
	if r.bodyErr != nil {
		return apperr.New(apperr.MalformedBody, "The request body is not valid base64.")
	}
	if len(r.Body) > MaxBody {
		return apperr.New(apperr.PayloadTooLarge, fmt.Sprintf("The request body must be at most %d bytes.", MaxBody))
	}
	return nil
}

// decodeJSON reads the body strictly into dst: JSON only, at most MaxBody,
// one object, no unknown fields, every type mismatch named by its field.
func (r *Request) decodeJSON(dst any) error {
	if err := r.checkBody(); err != nil {
		return err
	}
	if !isJSON(r.mediaType()) {
		return apperr.New(apperr.UnsupportedMediaType, "Send the body as application/json.")
	}
	return decodeStrict(r.Body, dst)
}

func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return apperr.New(apperr.MalformedBody, "The body must hold exactly one JSON object.")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.New(apperr.MalformedBody, "The body must be a JSON object.")
		}
		return apperr.Invalid([]apperr.FieldError{{Field: field, Code: "invalid_type",
			Message: fmt.Sprintf("%s must be of type %s.", field, jsonType(typeErr.Type.Kind().String()))}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Code: apperr.UnknownField, Message: fmt.Sprintf("Unknown field %q.", name),
			Fields: []apperr.FieldError{{Field: name, Code: "unknown_field", Message: "This field is not part of the request."}}}
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.MalformedBody, "The body is not valid JSON.")
	default:
		var fe *fieldError
		if errors.As(err, &fe) {
			return apperr.Invalid([]apperr.FieldError{{Field: fe.field, Code: "invalid_type", Message: fe.msg}})
		}
		return apperr.New(apperr.MalformedBody, "The body is not valid JSON.")
	}
}

// fieldError is returned by custom unmarshalers to name the bad field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.msg }

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return "number"
	}
}

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

func retryAfter(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
