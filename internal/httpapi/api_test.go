package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// newTestAPI returns an API without use cases, for the endpoints and paths
// that do not reach them.
func newTestAPI() *API {
	s := settings.Default()
	s.StoreName = "Test Shop"
	s.URLs = settings.URLs{PublicAPI: "https://api.shop.example", Storefront: "https://shop.example", LoginPath: "/login"}
	return New(Deps{
		Settings: s, Cookies: Cookies{Secure: true}, Pages: testPages(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) },
	})
}

// testPages are the pages of every shipped language.
func testPages() *Pages {
	p, err := LoadPages([]string{"en", "de"}, "en")
	if err != nil {
		panic(err)
	}
	return p
}

func request(method, path, query string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		RawPath: path, RawQueryString: query, Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "req-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}},
	}
}

func TestProblemDocuments(t *testing.T) {
	a := newTestAPI()
	r := &Request{RequestID: "req-1", Path: "/v1/customers"}
	tests := []struct {
		name, golden   string
		err            error
		wantStatus     int
		wantRetryAfter string
	}{
		{"lists field problems", "problem_validation.json",
			apperr.Invalid([]apperr.FieldError{{Field: "email", Code: "invalid_email", Message: "Email is not a valid address."}, {Field: "password", Code: "too_short", Message: "Password must have at least 6 characters."}}), 400, ""},
		{"hides the cause of an internal error", "problem_internal.json",
			errors.New("dynamodb: secret table name and stack trace"), 500, ""},
		{"tells a client when to retry after an outage", "problem_unavailable.json",
			apperr.Wrap(apperr.Unavailable, "The service is temporarily unavailable; nothing was changed. Try again.", errors.New("dial tcp 10.0.0.1:443")), 503, "1"},
		{"tells a locked-out client when to come back", "problem_locked_out.json",
			&apperr.Error{Code: apperr.LockedOut, Message: "Too many failed sign-ins; try again later.", RetryAfter: 30 * time.Minute}, 429, "1800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := a.failure(context.Background(), r, tt.err)
			if resp.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.Status, tt.wantStatus)
			}
			if got := resp.Headers["Content-Type"]; got != "application/problem+json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := resp.Headers["Retry-After"]; got != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetryAfter)
			}
			if strings.Contains(resp.Body, "dial tcp") || strings.Contains(resp.Body, "secret") {
				t.Errorf("the body leaks the cause: %s", resp.Body)
			}
			golden(t, tt.golden, resp.Body+"\n")
		})
	}
}

func TestConfirmPage(t *testing.T) {
	a := newTestAPI()
	h := a.Handler(functions.VerifyEmail)
	tok := "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f." + strings.Repeat("A", 43)
	tests := []struct {
		name, golden, query, lang string
		wantStatus                int
	}{
		{"shows the confirm button and the forgotten-password button", "confirm_page_en.html", "token=" + tok, "en-US", 200},
		{"speaks German", "confirm_page_de.html", "token=" + tok, "de-DE,de;q=0.9", 200},
		{"asks an invited customer to choose a password", "confirm_page_invite.html", "token=" + tok + "&invite=1", "en", 200},
		{"explains a broken link", "confirm_page_invalid.html", "token=%3Cscript%3E", "en", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h(context.Background(), request(http.MethodGet, "/v1/verify-email", tt.query, map[string]string{"accept-language": tt.lang}))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, v := range map[string]string{"Referrer-Policy": "same-origin", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
				if resp.Headers[k] != v {
					t.Errorf("%s = %q, want %q", k, resp.Headers[k], v)
				}
			}
			// The form posts to the public API and is redirected to the
			// storefront, two other origins in production.
			if csp := resp.Headers["Content-Security-Policy"]; !strings.Contains(csp, "form-action 'self' https://api.shop.example https://shop.example;") {
				t.Errorf("CSP %q would block the confirm post or its redirect", csp)
			}
			if strings.Contains(resp.Body, "<script>") {
				t.Errorf("the page reflects markup from the query")
			}
			golden(t, tt.golden, resp.Body)
		})
	}
	t.Run("HEAD answers like GET without a body", func(t *testing.T) {
		resp, _ := h(context.Background(), request(http.MethodHead, "/v1/verify-email", "token="+tok, nil))
		if resp.StatusCode != 200 || resp.Body != "" || resp.Headers["Content-Type"] != "text/html; charset=utf-8" {
			t.Errorf("HEAD = %d %q %v", resp.StatusCode, resp.Body, resp.Headers)
		}
	})
}

func TestRegistrationForm(t *testing.T) {
	a := newTestAPI()
	resp, err := a.Handler(functions.Register)(context.Background(), request(http.MethodGet, "/v1/registration-form", "", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	golden(t, "registration_form_default.json", resp.Body+"\n")
}

func TestRouting(t *testing.T) {
	a := newTestAPI()
	tests := []struct {
		name, fn, method, path string
		wantStatus             int
		wantAllow              string
	}{
		{"a function answers 404 for another function's path", functions.Register, "POST", "/v1/sessions", 404, ""},
		{"a known path with another method is 405 with Allow", functions.Register, "PUT", "/v1/customers", 405, "POST"},
		{"the verify path allows its three methods", functions.VerifyEmail, "DELETE", "/v1/verify-email", 405, "GET, HEAD, POST"},
		{"a literal path is not read as a template it also matches", functions.Account, "OPTIONS", "/v1/customers/me/passkeys/options", 405, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.Handler(tt.fn)(context.Background(), request(tt.method, tt.path, "", nil))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Headers["Allow"] != tt.wantAllow {
				t.Errorf("got %d Allow %q, want %d Allow %q", resp.StatusCode, resp.Headers["Allow"], tt.wantStatus, tt.wantAllow)
			}
		})
	}
}

// FuzzDecodeRegister: whatever the body, decoding a registration either
// succeeds or fails with a 4xx problem; it never panics or answers 5xx.
func FuzzDecodeRegister(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@b.co","password":"x","attributes":{"a":true,"b":"c"},"consents":{"t":true},"newsletters":["n"]}`,
		`{"email":1}`, `[]`, `null`, `{"attributes":{"a":[]}}`, `{"unknown":1}`, `{"email":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b registerBody
		err := decodeStrict(body, &b)
		if err == nil {
			return
		}
		if s := StatusOf(apperr.CodeOf(err)); s < 400 || s >= 500 {
			t.Errorf("body %q gave status %d (%v)", body, s, err)
		}
	})
}
