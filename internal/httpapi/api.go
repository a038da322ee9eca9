package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/emailcheck"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/storefront"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/verification"
)

// LambdaHandler is the signature of an HTTP function's Lambda handler.
type LambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Route is one route of the contract, the function that serves it and its
// handler. The stack, the local gateway and the OpenAPI check read the first
// three; the function's Lambda handler dispatches on them to the fourth.
type Route struct {
	Method   string
	Path     string
	Function string
	handle   endpoint
}

// Routes is every route of the public contract served so far. The CDK stack
// and the local gateway both build their routing from this list.
var Routes = []Route{
	{http.MethodGet, "/v1/registration-form", functions.Register, (*API).registrationForm},
	{http.MethodPost, "/v1/customers", functions.Register, withBody((*API).registerCustomer)},
	{http.MethodGet, "/v1/registrations/{id}", functions.Register, (*API).registrationMail},
	{http.MethodGet, "/v1/verify-email", functions.VerifyEmail, (*API).confirmPage},
	{http.MethodHead, "/v1/verify-email", functions.VerifyEmail, (*API).confirmPage},
	{http.MethodPost, "/v1/verify-email", functions.VerifyEmail, (*API).confirmEmail},
	{http.MethodPost, "/v1/verify-email/resend", functions.VerifyEmail, withBody((*API).resendLink)},
	{http.MethodPost, "/v1/sessions", functions.SignIn, withBody((*API).createSession)},
	{http.MethodPost, "/v1/sign-in-codes", functions.SignIn, withBody((*API).requestSignInCode)},
	{http.MethodPost, "/v1/passkey-sessions/options", functions.SignIn, (*API).passkeySignInOptions},
	{http.MethodPost, "/v1/passkey-sessions", functions.SignIn, withBody((*API).passkeySignIn)},
	{http.MethodDelete, "/v1/sessions/current", functions.SignIn, (*API).deleteSession},
	{http.MethodGet, "/v1/customers/me", functions.SignIn, (*API).me},
	{http.MethodDelete, "/v1/sessions", functions.SignIn, (*API).signOutEverywhere},
	{http.MethodPatch, "/v1/customers/me", functions.Account, withBody((*API).updateProfile)},
	{http.MethodDelete, "/v1/customers/me", functions.Account, withBody((*API).erase)},
	{http.MethodPut, "/v1/customers/me/password", functions.Account, withBody((*API).changePassword)},
	{http.MethodPost, "/v1/customers/me/email-change", functions.Account, withBody((*API).requestEmailChange)},
	{http.MethodGet, "/v1/customers/me/export", functions.Account, (*API).export},
	{http.MethodGet, "/v1/customers/me/sessions", functions.Account, (*API).listSessions},
	{http.MethodPost, "/v1/customers/me/passkeys/options", functions.Account, withBody((*API).passkeyOptions)},
	{http.MethodPost, "/v1/customers/me/passkeys", functions.Account, withBody((*API).addPasskey)},
	{http.MethodGet, "/v1/customers/me/passkeys", functions.Account, (*API).listPasskeys},
	{http.MethodDelete, "/v1/customers/me/passkeys/{id}", functions.Account, (*API).removePasskey},
	{http.MethodDelete, "/v1/customers/me/sessions/{id}", functions.Account, (*API).endSession},
	{http.MethodPost, "/v1/password-resets", functions.Account, withBody((*API).requestReset)},
	{http.MethodGet, "/v1/password-reset", functions.Account, (*API).resetPage},
	{http.MethodHead, "/v1/password-reset", functions.Account, (*API).resetPage},
	{http.MethodPost, "/v1/password-reset", functions.Account, (*API).resetPassword},
	{http.MethodGet, "/v1/email-change", functions.Account, (*API).emailChangePage},
	{http.MethodHead, "/v1/email-change", functions.Account, (*API).emailChangePage},
	{http.MethodPost, "/v1/email-change", functions.Account, (*API).confirmEmailChange},
	{http.MethodPost, "/v1/guests", functions.Cart, (*API).createGuest},
	// Served by cart, outside register's reserved concurrency: a storefront
	// asks while the shopper types.
	{http.MethodPost, "/v1/email-checks", functions.Cart, withBody((*API).checkEmail)},
	{http.MethodGet, "/v1/cart", functions.Cart, (*API).getCart},
	{http.MethodPut, "/v1/cart/items/{sku}", functions.Cart, withBody((*API).putCartItem)},
	{http.MethodDelete, "/v1/cart/items/{sku}", functions.Cart, (*API).deleteCartItem},
	{http.MethodPost, "/v1/admin/customers", functions.Admin, backOffice((*API).adminCreate)},
	{http.MethodPost, "/v1/admin/customer-imports", functions.Admin, backOffice((*API).adminImport)},
	{http.MethodGet, "/v1/admin/customers", functions.Admin, backOffice((*API).adminList)},
	{http.MethodPost, "/v1/admin/customers/{id}/approve", functions.Admin, backOffice((*API).adminApprove)},
	{http.MethodPost, "/v1/admin/customers/{id}/deactivate", functions.Admin, backOffice((*API).adminDeactivate)},
	{http.MethodPost, "/v1/admin/customers/{id}/verification-email", functions.Admin, backOffice((*API).adminResend)},
	{http.MethodPost, "/v1/admin/customers/{id}/impersonation", functions.Admin, backOffice((*API).adminImpersonate)},
	{http.MethodGet, "/v1/admin/customers/{id}/activity", functions.Admin, backOffice((*API).adminActivity)},
	{http.MethodGet, "/v1/admin/customers/{id}/consents", functions.Admin, backOffice((*API).adminConsents)},
}

// Cookies configures the cookies the API sets.
type Cookies struct {
	// Secure marks cookies Secure; off only for plain-HTTP local development.
	Secure bool
}

// The use cases the API calls, each as the small interface the API needs.

// Registrar registers customers (registration.Service).
type Registrar interface {
	Register(ctx context.Context, req registration.Request) (registration.Result, error)
	MailStatus(ctx context.Context, id string) (registration.MailStatus, error)
}

// Confirmer confirms addresses (verification.Service).
type Confirmer interface {
	Confirm(ctx context.Context, req verification.Request) (verification.Result, error)
}

// Resender takes resend requests (verification.Requests).
type Resender interface {
	Request(ctx context.Context, email, captchaToken string, languages []string, sourceIP string) error
}

// Authenticator signs customers in and out (signin.Service).
type Authenticator interface {
	SignIn(ctx context.Context, req signin.Request) (signin.Result, error)
	RequestCode(ctx context.Context, email string, languages []string, sourceIP string) error
	PasskeyOptions(ctx context.Context, sourceIP string) (json.RawMessage, error)
	PasskeySignIn(ctx context.Context, req signin.PasskeyRequest) (signin.Result, error)
	SignOut(ctx context.Context, token, storeID string) error
	Me(ctx context.Context, token string) (customer.Customer, error)
}

// API serves the contract.
type API struct {
	settings settings.Settings
	register Registrar
	verify   Confirmer
	resend   Resender
	signIn   Authenticator
	account  AccountManager
	shop     Shopping
	checks   EmailChecker
	office   BackOffice
	cookies  Cookies
	pages    *Pages
	captcha  *captcha.Form
	// storefronts and counters: server storefronts (serverstorefront.go).
	storefronts *storefront.Keys
	counters    Counters
	log         *slog.Logger
	now         func() time.Time
}

// Deps are the use cases and settings the API serves.
type Deps struct {
	Settings     settings.Settings
	Registration Registrar
	Verification Confirmer
	Resend       Resender
	SignIn       Authenticator
	Account      AccountManager
	Shopping     Shopping
	BackOffice   BackOffice
	EmailChecks  EmailChecker
	Cookies      Cookies
	Pages        *Pages
	// Captcha is what the registration form says of the store's CAPTCHA
	// (nil: none).
	Captcha *captcha.Form
	// Storefronts are the server storefronts' keys (nil: none), and
	// Counters counts each key's ceiling.
	Storefronts *storefront.Keys
	Counters    Counters
	Log         *slog.Logger
	Now         func() time.Time
}

// EmailChecker checks an address while a shopper types (emailcheck.Checker).
type EmailChecker interface {
	CheckFor(ctx context.Context, email, sourceIP string) (emailcheck.Result, error)
}

// Counters count events on a throttle counter (the store).
type Counters interface {
	Count(ctx context.Context, c throttle.Counter) error
}

// New returns an API.
func New(d Deps) *API {
	return &API{settings: d.Settings, register: d.Registration, verify: d.Verification, resend: d.Resend, signIn: d.SignIn,
		account: d.Account, shop: d.Shopping, office: d.BackOffice, checks: d.EmailChecks, cookies: d.Cookies, pages: d.Pages, captcha: d.Captcha,
		storefronts: d.Storefronts, counters: d.Counters, log: d.Log, now: d.Now}
}

type endpoint func(a *API, ctx context.Context, r *Request) (*Response, error)

// withBody is an endpoint that is given its request's JSON body, read
// strictly (decodeJSON) into a T before anything else is looked at.
func withBody[T any](h func(a *API, ctx context.Context, r *Request, b T) (*Response, error)) endpoint {
	return func(a *API, ctx context.Context, r *Request) (*Response, error) {
		var b T
		if err := r.decodeJSON(&b); err != nil {
			return nil, err
		}
		return h(a, ctx, r, b)
	}
}

// answer is an endpoint's answer once its use case returned err: resp, or
// err for Handler to turn into a problem.
func answer(err error, resp *Response) (*Response, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// Handler returns the Lambda handler of one function: it serves that
// function's routes and answers 404/405 for anything else.
func (a *API) Handler(function string) LambdaHandler {
	var mine []Route
	// allow lists the methods of each of the function's paths, for 405's
	// Allow header.
	allow := map[string][]string{}
	for _, rt := range Routes {
		if rt.Function == function {
			mine = append(mine, rt)
		}
		// Allow names every method of the path, whichever function serves
		// it (GET /v1/customers/me is sign-in's, PATCH the account's).
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	// find is the route of a request, or the route path its path matches
	// (for a 405): a literal path before a template that also matches it
	// (/v1/customers/me/passkeys/options is not passkey "options").
	find := func(r *Request) (endpoint, string) {
		path := ""
		for _, rt := range mine {
			params, ok := MatchPath(rt.Path, r.Path)
			if !ok {
				continue
			}
			if path == "" || (strings.Contains(path, "{") && !strings.Contains(rt.Path, "{")) {
				path = rt.Path
			}
			if rt.Method == r.Method {
				r.PathParams, r.routePath = params, rt.Path
				return rt.handle, path
			}
		}
		return nil, path
	}
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		start := time.Now()
		// Leave room to answer: a dependency that hangs until the
		// invocation's end must become a 503, not a killed function.
		if deadline, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline.Add(-answerMargin))
			defer cancel()
		}
		r := newRequest(ev)
		var resp *Response
		ep, path := find(r)
		switch {
		case ep != nil:
			err := a.refuseCrossSite(r)
			if err == nil {
				err = a.serverStorefront(ctx, r)
			}
			if err == nil {
				resp, err = ep(a, ctx, r)
			}
			if err != nil {
				resp = a.failure(ctx, r, err)
			}
		case path != "":
			resp = a.failure(ctx, r, apperr.New(apperr.MethodNotAllowed, "This method is not allowed here."))
			resp.Headers["Allow"] = strings.Join(allow[path], ", ")
		default:
			resp = a.failure(ctx, r, apperr.New(apperr.NotFound, "No such resource."))
		}
		if r.Method == http.MethodHead {
			resp.Body = ""
		}
		a.log.InfoContext(ctx, "request", "requestId", r.RequestID, "method", r.Method, "path", r.Path,
			"status", resp.Status, "durationMs", time.Since(start).Milliseconds())
		return resp.event(), nil
	}
}

// answerMargin is the time kept back from the invocation's deadline to write
// the answer.
const answerMargin = 1500 * time.Millisecond

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Validation:             http.StatusBadRequest,
	apperr.MalformedBody:          http.StatusBadRequest,
	apperr.UnknownField:           http.StatusBadRequest,
	apperr.InvalidBody:            http.StatusBadRequest,
	apperr.PayloadTooLarge:        http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMediaType:   http.StatusUnsupportedMediaType,
	apperr.NotFound:               http.StatusNotFound,
	apperr.MethodNotAllowed:       http.StatusMethodNotAllowed,
	apperr.RegistrationDisabled:   http.StatusForbidden,
	apperr.EmailTaken:             http.StatusConflict,
	apperr.UsernameTaken:          http.StatusConflict,
	apperr.DisposableEmail:        http.StatusBadRequest,
	apperr.EmailDomainUnreachable: http.StatusBadRequest,
	apperr.TokenInvalid:           http.StatusBadRequest,
	apperr.CodeInvalid:            http.StatusBadRequest,
	apperr.InvalidCredential:      http.StatusBadRequest,
	apperr.TokenExpired:           http.StatusGone,
	apperr.TokenReplaced:          http.StatusGone,
	apperr.PasswordMismatch:       http.StatusBadRequest,
	apperr.TooManyRequests:        http.StatusTooManyRequests,
	apperr.InvalidCredentials:     http.StatusUnauthorized,
	apperr.EmailNotVerified:       http.StatusForbidden,
	apperr.PendingApproval:        http.StatusForbidden,
	apperr.LockedOut:              http.StatusTooManyRequests,
	apperr.Unauthenticated:        http.StatusUnauthorized,
	apperr.ImpersonationForbidden: http.StatusForbidden,
	apperr.Forbidden:              http.StatusForbidden,
	apperr.CrossSiteRequest:       http.StatusForbidden,
	apperr.InvalidStorefrontKey:   http.StatusUnauthorized,
	apperr.InvalidShopperAddress:  http.StatusBadRequest,
	apperr.InvalidState:           http.StatusConflict,
	apperr.CustomerNotFound:       http.StatusNotFound,
	apperr.Unavailable:            http.StatusServiceUnavailable,
	apperr.Internal:               http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error code.
func StatusOf(c apperr.Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      apperr.Code         `json:"code"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
}

// failure turns an error into a problem response. 5xx answers never carry
// the cause; it goes to the log with the request id.
func (a *API) failure(ctx context.Context, r *Request, err error) *Response {
	e := apperr.As(err)
	status := StatusOf(e.Code)
	detail := e.Message
	if status >= 500 {
		a.log.ErrorContext(ctx, "request failed", "requestId", r.RequestID, "code", e.Code, "error", err)
		if e.Code == apperr.Internal {
			detail = "Internal error."
		}
	}
	p := problem{
		Type: "urn:problem:" + string(e.Code), Title: http.StatusText(status), Status: status,
		Detail: detail, Code: e.Code, Errors: e.Fields, RequestID: r.RequestID,
	}
	resp := jsonResponse(status, p)
	resp.Headers["Content-Type"] = "application/problem+json"
	if e.RetryAfter > 0 {
		resp.Headers["Retry-After"] = retryAfter(e.RetryAfter)
	} else if status == http.StatusServiceUnavailable {
		resp.Headers["Retry-After"] = "1"
	}
	return resp
}
