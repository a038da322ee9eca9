package httpapi_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/httpapi/contract"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

// The whole system in this process, on the in-memory store: every route
// through the local gateway's payload 2.0 events into the handlers, no
// emulator (`go test -short` runs it). The integration tests (internal/e2e)
// run the same routes on DynamoDB Local and moto.

var _ app.Store = (*memstore.Store)(nil)

const adminToken = "test-admin-token"

// customerID is the fixture's active customer.
const customerID = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"

// system is the fixture: the system on memstore with a settable clock,
// behind the gateway, and an active customer with a session.
type system struct {
	t     *testing.T
	url   string
	store *memstore.Store
	clock *storetest.Clock
	spec  *contract.Spec
	token string // the customer's session
}

func newSystem(t *testing.T) *system {
	t.Helper()
	return newSystemWith(t, nil)
}

// newSystemWith is newSystem with settings changed by mutate (nil: none).
func newSystemWith(t *testing.T, mutate func(*settings.Settings)) *system {
	t.Helper()
	s := settings.Default()
	s.PasswordHashing = password.Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}
	s.URLs = settings.URLs{PublicAPI: "https://api.shop.example", Storefront: "https://shop.example", LoginPath: "/login"}
	s.ClientLimits = settings.ClientLimits{}
	if mutate != nil {
		mutate(&s)
	}
	clk := storetest.NewClock(storetest.Start)
	st := memstore.New(clk.Now)
	log := slog.New(slog.DiscardHandler)
	// The codes' key ring, as the stack generates it.
	ring := filepath.Join(t.TempDir(), "code-keys.json")
	if err := os.WriteFile(ring, []byte(`{"current":"k1","k1":"`+strings.Repeat("k", 64)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sys, err := app.NewSystem(config.Config{Table: "t", Settings: s, CookieSecure: true, CodeKeys: "file:" + ring}, st, app.Clients{},
		app.Runtime{Now: clk.Now, Random: rand.Reader, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	functions := map[string]httpapi.LambdaHandler{}
	for _, r := range httpapi.Routes {
		functions[r.Function] = sys.API.Handler(r.Function)
	}
	srv := httptest.NewServer(devstack.NewGateway(httpapi.Routes, functions, log, clk.Now).WithAdminToken(adminToken))
	t.Cleanup(srv.Close)
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &system{t: t, url: srv.URL, store: st, clock: clk, spec: spec}
	h, err := password.NewHasher(s.PasswordHashing, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	st.Put(customer.Customer{ID: customerID, StoreID: "default", Email: "ada@example.com", Status: customer.Active, EmailVerifiedAt: clk.Now(),
		Profile:      customer.Profile{FirstName: "Ada", LastName: "Lovelace"},
		PasswordHash: hash, Language: "en", CreatedAt: clk.Now()})
	r := f.do(http.MethodPost, "/v1/sessions", `{"login":"ada@example.com","password":"correct horse"}`)
	var body struct {
		SessionToken string `json:"sessionToken"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &body) != nil || body.SessionToken == "" {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	f.token = body.SessionToken
	return f
}

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends a request (JSON when body starts with "{"), checks the answer
// against the OpenAPI document, and returns it.
func (f *system) do(method, path, body string, headers ...string) answer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	tmpl := path
	if i := strings.IndexByte(tmpl, '?'); i >= 0 {
		tmpl = tmpl[:i]
	}
	for _, rt := range httpapi.Routes {
		if _, ok := httpapi.MatchPath(rt.Path, tmpl); ok && rt.Method == method {
			tmpl = rt.Path
		}
	}
	if f.spec.Has(method, tmpl) {
		if err := f.spec.Check(method, tmpl, resp.StatusCode, resp.Header.Get("Content-Type"), b); err != nil {
			f.t.Errorf("contract: %s %s: %v\n%s", method, path, err, b)
		}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// TestEveryRouteInProcess: each route of the contract, as a storefront or
// the back office calls it, answers as documented, on the in-memory store.
func TestEveryRouteInProcess(t *testing.T) {
	f := newSystem(t)
	bearer := "Authorization: Bearer " + f.token
	admin := "Authorization: Bearer " + adminToken
	var guest string
	tests := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		status       int
		code         string // the problem's code, for a 4xx
		check        func(*testing.T, answer)
	}{
		{"the registration form is public", "GET", "/v1/registration-form", "", nil, 200, "", nil},
		{"a registration is accepted", "POST", "/v1/customers", `{"email":"new@example.com","password":"correct horse","firstName":"N","lastName":"N"}`, nil, 202, "", nil},
		{"a registration without an address is refused", "POST", "/v1/customers", `{"password":"correct horse"}`, nil, 400, "validation_failed", nil},
		{"a registration that is not JSON is refused", "POST", "/v1/customers", `{"email":`, nil, 400, "malformed_body", nil},
		{"a registration with a field the contract lacks is refused", "POST", "/v1/customers", `{"email":"x@example.com","password":"correct horse","nickname":"x"}`, nil, 400, "unknown_field", nil},
		{"a registration as a form is refused for its media type", "POST", "/v1/customers", `email=x@example.com`, nil, 415, "unsupported_media_type", nil},
		{"a method the path lacks is refused, naming those it has", "DELETE", "/v1/registration-form", "", nil, 405, "method_not_allowed", nil},
		{"the confirm page refuses a malformed link", "GET", "/v1/verify-email?token=x", "", nil, 400, "", nil},
		{"the confirm page's headers refuse it too", "HEAD", "/v1/verify-email?token=x", "", nil, 400, "", nil},
		{"the confirm page speaks the browser's language", "GET", "/v1/verify-email?token=x", "", []string{"Accept-Language: de-DE,de;q=0.9"}, 400, "", nil},
		{"the confirm page's own form with a malformed token shows the page again", "POST", "/v1/verify-email", `token=x&password=correct+horse`, nil, 400, "", nil},
		{"confirming a malformed token is refused", "POST", "/v1/verify-email", `{"token":"x","password":"correct horse"}`, nil, 400, "token_invalid", nil},
		{"a new link is accepted for any address", "POST", "/v1/verify-email/resend", `{"email":"nobody@example.com"}`, nil, 202, "", nil},
		{"a sign-in code is asked for any address", "POST", "/v1/sign-in-codes", `{"email":"nobody@example.com"}`, nil, 202, "", nil},
		{"a sign-in code request without an address is refused", "POST", "/v1/sign-in-codes", `{}`, nil, 400, "validation_failed", nil},
		{"a wrong sign-in code is refused", "POST", "/v1/sessions", `{"login":"ada@example.com","code":"000000"}`, nil, 400, "code_invalid", nil},
		{"a password and a code at once are refused", "POST", "/v1/sessions", `{"login":"ada@example.com","password":"x","code":"000000"}`, nil, 400, "validation_failed", nil},
		{"a wrong password is refused", "POST", "/v1/sessions", `{"login":"ada@example.com","password":"wrong horse"}`, nil, 401, "invalid_credentials", nil},
		{"the customer reads their account", "GET", "/v1/customers/me", "", []string{bearer}, 200, "", nil},
		{"nobody reads an account without a session", "GET", "/v1/customers/me", "", nil, 401, "unauthenticated", nil},
		{"the customer changes their profile", "PATCH", "/v1/customers/me", `{"firstName":"Augusta"}`, []string{bearer}, 200, "", nil},
		{"a password change needs the current password", "PUT", "/v1/customers/me/password", `{"currentPassword":"wrong horse","newPassword":"another horse"}`, []string{bearer}, 401, "invalid_credentials", nil},
		{"an address change is asked for", "POST", "/v1/customers/me/email-change", `{"newEmail":"augusta@example.com","password":"correct horse"}`, []string{bearer}, 202, "", nil},
		{"the customer exports their data", "GET", "/v1/customers/me/export", "", []string{bearer}, 200, "", nil},
		{"the customer lists their sessions", "GET", "/v1/customers/me/sessions", "", []string{bearer}, 200, "", func(t *testing.T, r answer) {
			if !strings.Contains(r.body, `"current":true`) || !strings.Contains(r.body, `"userAgent":"Go-http-client/1.1"`) {
				t.Errorf("sessions %s, want the current one with its user agent", r.body)
			}
		}},
		{"ending a session the customer has not is not found", "DELETE", "/v1/customers/me/sessions/nosuchsession", "", []string{bearer}, 404, "not_found", nil},
		{"nobody lists sessions without one", "GET", "/v1/customers/me/sessions", "", nil, 401, "unauthenticated", nil},
		{"adding a passkey needs the password again", "POST", "/v1/customers/me/passkeys/options", `{"password":"wrong horse"}`, []string{bearer}, 401, "invalid_credentials", nil},
		{"a passkey without pending options is refused", "POST", "/v1/customers/me/passkeys", `{"credential":{"id":"x","type":"public-key","response":{}}}`, []string{bearer}, 400, "invalid_credential", nil},
		{"the customer lists their passkeys", "GET", "/v1/customers/me/passkeys", "", []string{bearer}, 200, "", nil},
		{"removing a passkey the customer has not is not found", "DELETE", "/v1/customers/me/passkeys/nosuchpasskey", "", []string{bearer}, 404, "not_found", nil},
		{"anyone may begin a passkey sign-in", "POST", "/v1/passkey-sessions/options", "", nil, 200, "", nil},
		{"a passkey sign-in with a made-up answer is refused", "POST", "/v1/passkey-sessions", `{"challengeId":"x","credential":{"id":"x","type":"public-key","response":{}}}`, nil, 400, "invalid_credential", nil},
		{"the back office imports a customer from another shop", "POST", "/v1/admin/customer-imports", `{"customers":[{"email":"old@shop.example","externalId":"7","firstName":"Old","lastName":"Shop","emailVerified":true,"passwordHash":{"format":"bcrypt","value":"$2a$04$wpG7D99xV/DdGy9uA16QFeKHaIpy/ft8tudyxy8sQTXATvnIOq2Y6"}}]}`, []string{admin}, 200, "", nil},
		{"a registration's mail status needs its id", "GET", "/v1/registrations/3f1c2d3e-0000-4000-8000-000000000000", "", nil, 404, "not_found", nil},
		{"an address is checked while the shopper types", "POST", "/v1/email-checks", `{"email":"ada@gmial.com"}`, nil, 200, "", func(t *testing.T, r answer) {
			if !strings.Contains(r.body, `"valid":true`) || !strings.Contains(r.body, `"suggestion":"ada@gmail.com"`) {
				t.Errorf("check %s, want valid with the suggestion", r.body)
			}
		}},
		{"a malformed address is checked as invalid", "POST", "/v1/email-checks", `{"email":"ada@"}`, nil, 200, "", func(t *testing.T, r answer) {
			if !strings.Contains(r.body, `"valid":false`) || !strings.Contains(r.body, `"domainAcceptsMail":null`) {
				t.Errorf("check %s, want invalid and no DNS answer", r.body)
			}
		}},
		{"erasure needs the password", "DELETE", "/v1/customers/me", `{"password":"wrong horse"}`, []string{bearer}, 401, "invalid_credentials", nil},
		{"the customer changes their password, keeping this session", "PUT", "/v1/customers/me/password", `{"currentPassword":"correct horse","newPassword":"another horse"}`, []string{bearer}, 204, "", nil},
		{"a reset is asked for any address", "POST", "/v1/password-resets", `{"email":"nobody@example.com"}`, nil, 202, "", nil},
		{"the reset page refuses a malformed link", "GET", "/v1/password-reset?token=x", "", nil, 400, "", nil},
		{"the reset page's headers refuse it too", "HEAD", "/v1/password-reset?token=x", "", nil, 400, "", nil},
		{"a reset with a malformed token is refused", "POST", "/v1/password-reset", `{"token":"x","password":"another horse"}`, nil, 400, "token_invalid", nil},
		{"the reset page's own form with a malformed token shows the page again", "POST", "/v1/password-reset", `token=x&password=another+horse`, nil, 400, "", nil},
		{"the address-change page refuses a malformed link", "GET", "/v1/email-change?token=x", "", nil, 400, "", nil},
		{"the address-change page's headers refuse it too", "HEAD", "/v1/email-change?token=x", "", nil, 400, "", nil},
		{"an address change with a malformed token is refused", "POST", "/v1/email-change", `{"token":"x"}`, nil, 400, "token_invalid", nil},
		{"the address-change page's own form with a malformed token shows the page again", "POST", "/v1/email-change", `token=x`, nil, 400, "", nil},
		{"a profile change under the registration's rules is refused", "PATCH", "/v1/customers/me", `{"firstName":""}`, []string{bearer}, 400, "validation_failed", nil},
		{"a browser signing in keeps its session in the cookie", "POST", "/v1/sessions", `{"login":"ada@example.com","password":"another horse","rememberMe":true}`, []string{"Origin: https://shop.example"}, 200, "",
			func(t *testing.T, r answer) {
				cookie := strings.Join(r.header.Values("Set-Cookie"), "\n")
				if !strings.Contains(cookie, "__Host-cr_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "Secure") {
					t.Errorf("Set-Cookie = %q, want the Secure, HttpOnly session cookie", cookie)
				}
				if strings.Contains(r.body, "sessionToken") {
					t.Errorf("a browser's sign-in answered its token in the body: %s", r.body)
				}
			}},
		{"a shopper becomes a guest", "POST", "/v1/guests", `{}`, []string{"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}, 201, "", nil},
		{"the customer fills the cart", "PUT", "/v1/cart/items/SKU-1", `{"quantity":2}`, []string{bearer}, 200, "", nil},
		{"the customer reads the cart", "GET", "/v1/cart", "", []string{bearer}, 200, "", nil},
		{"the customer empties a line", "DELETE", "/v1/cart/items/SKU-1", "", []string{bearer}, 200, "", nil},
		{"the back office lists customers", "GET", "/v1/admin/customers?status=verified", "", []string{admin}, 200, "", nil},
		{"the back office needs its authority", "GET", "/v1/admin/customers", "", nil, 401, "unauthenticated", nil},
		{"the back office creates a customer", "POST", "/v1/admin/customers", `{"email":"made@example.com","firstName":"M","lastName":"M"}`, []string{admin}, 201, "", nil},
		{"the back office reads a customer's activity", "GET", "/v1/admin/customers/" + customerID + "/activity", "", []string{admin}, 200, "", nil},
		{"the back office reads a customer's consents", "GET", "/v1/admin/customers/" + customerID + "/consents", "", []string{admin}, 200, "", nil},
		{"approving an active customer changes nothing and answers it", "POST", "/v1/admin/customers/" + customerID + "/approve", `{}`, []string{admin}, 200, "", nil},
		{"mailing a verified customer a link is refused", "POST", "/v1/admin/customers/" + customerID + "/verification-email", `{}`, []string{admin}, 409, "invalid_state", nil},
		{"the back office signs in as the customer", "POST", "/v1/admin/customers/" + customerID + "/impersonation", `{}`, []string{admin}, 201, "", nil},
		{"the back office deactivates a customer", "POST", "/v1/admin/customers/" + customerID + "/deactivate", `{}`, []string{admin}, 200, "", nil},
		{"a session ends", "DELETE", "/v1/sessions/current", "", []string{bearer}, 204, "", nil},
		{"every session ends", "DELETE", "/v1/sessions", "", []string{bearer}, 401, "unauthenticated", nil},
	}
	served := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			r := f.do(tt.method, tt.path, tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.status)
			}
			if tt.code != "" {
				var p struct{ Code string }
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Code != tt.code {
					t.Errorf("code = %q, want %q (%s)", p.Code, tt.code, r.body)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			if tt.method == "POST" && tt.path == "/v1/guests" {
				guest = r.header.Get("X-Guest-Id")
			}
		})
		for _, rt := range httpapi.Routes {
			path, _, _ := strings.Cut(tt.path, "?")
			if _, ok := httpapi.MatchPath(rt.Path, path); ok && rt.Method == tt.method {
				served[rt.Method+" "+rt.Path] = true
			}
		}
	}
	f.t = t
	var missing []string
	for _, rt := range httpapi.Routes {
		if !served[rt.Method+" "+rt.Path] {
			missing = append(missing, rt.Method+" "+rt.Path)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("routes without an in-process scenario: %v", missing)
	}
	if guest == "" {
		t.Error("no guest id came back")
	}
}
