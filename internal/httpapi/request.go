package httpapi

// Reading requests: the event's parts the endpoints use, the session token,
// the languages, the body's limits.

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/text/language"

	"github.com/openreg/registration/internal/apperr"
)

// MaxBody is the largest request body accepted (16 KiB), but for an
// import's (MaxImportBody, 1 MiB).
const (
	MaxBody       = 16 << 10
	MaxImportBody = 1 << 20
)

// Cookie names of the contract. Where cookies are Secure the session cookie
// is SecureSessionCookie: the __Host- prefix makes browsers refuse it unless
// it is Secure, host-only and for Path=/, so no subdomain can plant or
// shadow it.
const (
	SessionCookie       = "cr_session"
	SecureSessionCookie = "__Host-cr_session"
	// DeviceCookie is a device token (signin's devices).
	DeviceCookie = "cr_device"
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
	// PathParams are the values of the route path's {segments}.
	PathParams map[string]string
	// Operator is the IAM principal API Gateway authorised (back-office
	// routes only; the local gateway's admin token stands for one).
	Operator string
	// Storefront is the server storefront key the request came with
	// (serverstorefront.go), "" for none.
	Storefront string
	// routePath is the path template of the route it matched.
	routePath string
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
	if az := ev.RequestContext.Authorizer; az != nil && az.IAM != nil {
		r.Operator = az.IAM.UserARN
	}
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

// checkBody enforces the size limit (limit bytes) and body decoding.
func (r *Request) checkBody(limit int) error {
	if r.bodyErr != nil {
		return apperr.New(apperr.MalformedBody, "The request body is not valid base64.")
	}
	if len(r.Body) > limit {
		return apperr.New(apperr.PayloadTooLarge, fmt.Sprintf("The request body must be at most %d bytes.", limit))
	}
	return nil
}

// storeID is the store the request names (X-Store-Id), or "" for the
// default store.
func (r *Request) storeID() (string, error) {
	id := r.Headers["x-store-id"]
	if id != "" && !storeIDPattern.MatchString(id) {
		return "", apperr.Invalid([]apperr.FieldError{{Field: "X-Store-Id", Code: "invalid_store", Message: "X-Store-Id is not a valid store id."}})
	}
	return id, nil
}
