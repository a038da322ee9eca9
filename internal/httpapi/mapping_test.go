package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/signin"
)

// fakeAuth is an Authenticator that answers what a test sets and records
// what it was asked (the ways in these tests do not take panic, on the nil
// Authenticator it embeds).
type fakeAuth struct {
	Authenticator
	result signin.Result
	err    error
	got    signin.Request
	ended  string
}

func (f *fakeAuth) SignIn(_ context.Context, req signin.Request) (signin.Result, error) {
	f.got = req
	return f.result, f.err
}
func (f *fakeAuth) SignOut(_ context.Context, tok, _ string) error { f.ended = tok; return nil }
func (f *fakeAuth) Me(context.Context, string) (customer.Customer, error) {
	return customer.Customer{}, apperr.New(apperr.Unauthenticated, "Sign in first.")
}

func TestEveryRouteHasItsHandler(t *testing.T) {
	for _, rt := range Routes {
		if rt.handle == nil {
			t.Errorf("%s %s has no handler", rt.Method, rt.Path)
		}
	}
}

// TestSignInMapping: the HTTP mapping of sign-in, without the use case or
// the emulators: the request reaches the use case as it came, the answer
// carries the session as the contract says, and a refusal is its problem.
func TestSignInMapping(t *testing.T) {
	body := `{"login":"ada@example.com","password":"pw","rememberMe":true,"returnUrl":"/cart"}`
	ev := func(headers map[string]string) events.APIGatewayV2HTTPRequest {
		e := request(http.MethodPost, "/v1/sessions", "", headers)
		e.Body = body
		e.RequestContext.HTTP.SourceIP = "203.0.113.9"
		return e
	}
	expires := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ok := signin.Result{CustomerID: "c1", Redirect: "/cart", Session: session.Issued{Token: "c1.secret", ExpiresAt: expires}}

	t.Run("a browser gets the session in the cookie only", func(t *testing.T) {
		a, auth := newTestAPI(), &fakeAuth{result: ok}
		a.signIn = auth
		resp, err := a.Handler(functions.SignIn)(context.Background(), ev(map[string]string{"content-type": "application/json", "origin": "https://shop.example"}))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d %v %s", resp.StatusCode, err, resp.Body)
		}
		if auth.got != (signin.Request{Login: "ada@example.com", Password: "pw", RememberMe: true, ReturnURL: "/cart", SourceIP: "203.0.113.9"}) {
			t.Errorf("the use case got %+v", auth.got)
		}
		var b map[string]any
		_ = json.Unmarshal([]byte(resp.Body), &b)
		if b["sessionToken"] != nil || b["customerId"] != "c1" || b["redirect"] != "/cart" || b["expiresAt"] != "2026-12-01T12:00:00Z" {
			t.Errorf("body = %s", resp.Body)
		}
		if len(resp.Cookies) != 1 || !strings.HasPrefix(resp.Cookies[0], "__Host-cr_session=c1.secret;") || !strings.Contains(resp.Cookies[0], "HttpOnly") {
			t.Errorf("cookies = %v", resp.Cookies)
		}
	})

	t.Run("an app without an Origin gets the token in the body too", func(t *testing.T) {
		a, auth := newTestAPI(), &fakeAuth{result: ok}
		a.signIn = auth
		resp, _ := a.Handler(functions.SignIn)(context.Background(), ev(map[string]string{"content-type": "application/json"}))
		if !strings.Contains(resp.Body, `"sessionToken":"c1.secret"`) {
			t.Errorf("body = %s", resp.Body)
		}
	})

	t.Run("a refusal is the use case's problem, with Retry-After", func(t *testing.T) {
		a := newTestAPI()
		a.signIn = &fakeAuth{err: &apperr.Error{Code: apperr.LockedOut, Message: "Too many failed sign-ins; try again later.", RetryAfter: 90 * time.Second}}
		resp, _ := a.Handler(functions.SignIn)(context.Background(), ev(map[string]string{"content-type": "application/json"}))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] != "90" || !strings.Contains(resp.Body, `"code":"locked_out"`) {
			t.Errorf("got %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
		}
	})

	t.Run("a body that is not JSON never reaches the use case", func(t *testing.T) {
		a, auth := newTestAPI(), &fakeAuth{result: ok}
		a.signIn = auth
		e := ev(map[string]string{"content-type": "text/plain"})
		resp, _ := a.Handler(functions.SignIn)(context.Background(), e)
		if resp.StatusCode != http.StatusUnsupportedMediaType || auth.got != (signin.Request{}) {
			t.Errorf("got %d, use case saw %+v", resp.StatusCode, auth.got)
		}
	})

	t.Run("another function's route is not served here, and a wrong method names the allowed ones", func(t *testing.T) {
		a := newTestAPI()
		a.signIn = &fakeAuth{}
		resp, _ := a.Handler(functions.SignIn)(context.Background(), request(http.MethodPost, "/v1/customers", "", nil))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST /v1/customers on sign-in: %d", resp.StatusCode)
		}
		resp, _ = a.Handler(functions.SignIn)(context.Background(), request(http.MethodPut, "/v1/sessions", "", nil))
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Headers["Allow"] != "POST, DELETE" {
			t.Errorf("PUT /v1/sessions: %d Allow %q", resp.StatusCode, resp.Headers["Allow"])
		}
	})
}
