package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// admin calls a back-office route with the admin token.
func (s *stack) admin(method, path string, body any) response {
	s.t.Helper()
	var b []byte
	ct := ""
	if body != nil {
		b, ct = mustJSON(s.t.(*testing.T), body), "application/json"
	}
	return s.do(method, path, ct, b, "Authorization: Bearer "+adminToken)
}

// listed pages through a status list and returns the emails in order,
// waiting (up to a deadline) until want customers are listed: the index is
// eventually consistent.
func (s *stack) listed(t *testing.T, status string, limit, want int) ([]string, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var emails []string
		pages, cursor := 0, ""
		for {
			path := "/v1/admin/customers?status=" + status + "&limit=" + strconv.Itoa(limit)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := s.admin(http.MethodGet, path, nil)
			var p struct {
				Customers []struct {
					Email, Status string
				} `json:"customers"`
				NextCursor string `json:"nextCursor"`
			}
			if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusOK {
				t.Fatalf("list: %d %s", r.status, r.body)
			}
			pages++
			for _, c := range p.Customers {
				emails = append(emails, c.Email)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if len(emails) >= want || time.Now().After(deadline) {
			return emails, pages
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBackOfficeAuthority(t *testing.T) {
	s := newStack(t, nil)
	for _, tt := range []struct {
		name, header string
		status       int
	}{
		{"without a token", "", http.StatusUnauthorized},
		{"with a malformed token", "Authorization: Basic abc", http.StatusUnauthorized},
		{"with a forged token", "Authorization: Bearer not-the-token", http.StatusForbidden},
		{"with a customer's session", "Authorization: Bearer " + s.activeCustomer("storefront@example.com", "a password"), http.StatusForbidden},
	} {
		var headers []string
		if tt.header != "" {
			headers = append(headers, tt.header)
		}
		r := s.do(http.MethodGet, "/v1/admin/customers?status=verified", "", nil, headers...)
		if r.status != tt.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/admin/customers", RequestContext: events.APIGatewayV2HTTPRequestContext{
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: "/v1/admin/customers"}}}
	for _, fn := range []string{functions.Register, functions.SignIn, functions.Account, functions.Cart, functions.VerifyEmail} {
		if resp, _ := s.functions[fn](context.Background(), ev); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the %s function answered an admin route with %d", fn, resp.StatusCode)
		}
	}
	if resp, _ := s.functions[functions.Admin](context.Background(), ev); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the admin function served a request without IAM identity: %d", resp.StatusCode)
	}
}

func TestBackOfficeCreatesCustomersWhoVerify(t *testing.T) {
	s := newStack(t, nil)
	r := s.admin(http.MethodPost, "/v1/admin/customers", map[string]any{"email": "invited@example.com", "firstName": "Ivy", "lastName": "Invited"})
	if r.status != http.StatusCreated || r.json(t)["status"] != "unverified" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := s.admin(http.MethodPost, "/v1/admin/customers", map[string]any{"email": "invited@example.com", "firstName": "I", "lastName": "I"}); r.status != http.StatusConflict {
		t.Errorf("a second create of the address: %d", r.status)
	}
	if r := s.admin(http.MethodPost, "/v1/admin/customers", map[string]any{"email": "nope"}); r.status != http.StatusBadRequest || r.code(t) != "validation_failed" {
		t.Errorf("bad input: %d %s", r.status, r.body)
	}
	tok := s.verificationToken("invited@example.com")
	mails := s.mailsTo("invited@example.com")
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "choose a password") || !strings.Contains(mails[0].Links[0], "&invite=1") {
		t.Fatalf("the invitation: %v %v", s.subjectsTo("invited@example.com"), mails[0].Links)
	}
	page := s.do(http.MethodGet, strings.TrimPrefix(mails[0].Links[0], s.settings.URLs.PublicAPI), "", nil)
	if !strings.Contains(string(page.body), "Choose a password for your account") || !strings.Contains(string(page.body), `autocomplete="new-password"`) {
		t.Errorf("the invitation's page does not ask for a new password:\n%s", page.body)
	}
	if r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "x"}); r.status != http.StatusBadRequest {
		t.Errorf("a password under the policy: %d", r.status)
	}
	if r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "chosen at last"}); r.status != http.StatusOK {
		t.Fatalf("choosing the password: %d %s", r.status, r.body)
	}
	if r := s.signIn("invited@example.com", "chosen at last"); r.status != http.StatusOK {
		t.Errorf("sign-in: %d", r.status)
	}
	if emails, _ := s.listed(t, "verified", 10, 1); !slicesContain(emails, "invited@example.com") {
		t.Errorf("verified list = %v", emails)
	}
	c, _ := s.customerByEmail("invited@example.com")
	log := string(s.admin(http.MethodGet, "/v1/admin/customers/"+c.ID+"/activity?limit=50", nil).body)
	for _, want := range []string{`"type":"registered"`, `"admin":"local-admin"`, `"type":"link_mailed"`, `"type":"email_verified"`, `"type":"signed_in"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the activity log lacks %s: %s", want, log)
		}
	}

	t.Run("with a password, the customer proves it on the confirm page", func(t *testing.T) {
		r := s.admin(http.MethodPost, "/v1/admin/customers", map[string]any{"email": "set@example.com", "password": "set by admin", "firstName": "S", "lastName": "T"})
		if r.status != http.StatusCreated {
			t.Fatal(r.status)
		}
		tok := s.verificationToken("set@example.com")
		if r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "something else"}); r.code(t) != "password_mismatch" {
			t.Errorf("a wrong password: %s", r.body)
		}
		if r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "set by admin"}); r.status != http.StatusOK {
			t.Errorf("the set password: %d", r.status)
		}
	})
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestApprovalInEitherOrderWelcomesOnce(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.AdminApproval })
	idOf := func(email string) string {
		c, ok := s.customerByEmail(email)
		if !ok {
			t.Fatalf("no customer %s", email)
		}
		return c.ID
	}
	welcomes := func(email string) int {
		n := 0
		for _, subj := range s.subjectsTo(email) {
			if strings.Contains(strings.ToLower(subj), "welcome") {
				n++
			}
		}
		return n
	}
	for _, order := range []string{"approve first", "verify first"} {
		t.Run(order, func(t *testing.T) {
			email := strings.ReplaceAll(order, " ", "-") + "@example.com"
			s.register(person(email))
			tok := s.verificationToken(email)
			id := idOf(email)
			approve := func() {
				if r := s.admin(http.MethodPost, "/v1/admin/customers/"+id+"/approve", nil); r.status != http.StatusOK {
					t.Fatalf("approve: %d %s", r.status, r.body)
				}
			}
			verify := func() {
				if r := s.postJSON("/v1/verify-email", map[string]any{"token": tok, "password": "correct horse"}); r.status != http.StatusOK {
					t.Fatalf("verify: %d %s", r.status, r.body)
				}
			}
			if order == "approve first" {
				approve()
				if c, _ := s.customerByEmail(email); c.Status != "unverified" {
					t.Errorf("approved before verifying: %s, want unverified", c.Status)
				}
				verify()
			} else {
				verify()
				if c, _ := s.customerByEmail(email); c.Status != "pending_approval" {
					t.Errorf("verified before approval: %s", c.Status)
				}
				approve()
			}
			approve() // again: nothing changes
			s.deliverMail()
			if c, _ := s.customerByEmail(email); c.Status != "active" || welcomes(email) != 1 {
				t.Errorf("%s: status %s, %d welcome mails (subjects %v)", order, c.Status, welcomes(email), s.subjectsTo(email))
			}
		})
	}
}

func TestBackOfficePagesThroughCustomers(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
	var want []string
	for i := range 7 {
		email := "page-" + strconv.Itoa(i) + "@example.com"
		s.clock.Advance(time.Second)
		if r := s.register(person(email)); r.status != http.StatusCreated {
			t.Fatal(r.status)
		}
		want = append([]string{email}, want...) // newest first
	}
	got, pages := s.listed(t, "verified", 3, 7)
	if strings.Join(got, ",") != strings.Join(want, ",") || pages != 3 {
		t.Errorf("pages %d: %v, want %v", pages, got, want)
	}
	if r := s.admin(http.MethodGet, "/v1/admin/customers?status=verified&cursor=garbage!", nil); r.status != http.StatusBadRequest {
		t.Errorf("a forged cursor: %d", r.status)
	}
	if r := s.admin(http.MethodGet, "/v1/admin/customers?status=everyone", nil); r.status != http.StatusBadRequest {
		t.Errorf("an unknown status: %d", r.status)
	}
}

func TestDeactivationAndImpersonation(t *testing.T) {
	s := newStack(t, nil)
	email := "acted-upon@example.com"
	own := s.activeCustomer(email, "a password")
	c, _ := s.customerByEmail(email)
	r := s.admin(http.MethodPost, "/v1/admin/customers/"+c.ID+"/impersonation", nil)
	imp, _ := r.json(t)["sessionToken"].(string)
	if r.status != http.StatusCreated || imp == "" {
		t.Fatalf("impersonation: %d %s", r.status, r.body)
	}
	if r := s.me(imp); r.status != http.StatusOK {
		t.Errorf("me as the customer: %d", r.status)
	}
	for _, tt := range []struct {
		name string
		do   func() response
	}{
		{"change the password", func() response {
			return s.do(http.MethodPut, "/v1/customers/me/password", "application/json", []byte(`{"currentPassword":"a password","newPassword":"taken over"}`), as(imp))
		}},
		{"change the address", func() response {
			return s.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": "x@example.com", "password": "a password"}, as(imp))
		}},
		{"erase the account", func() response {
			return s.do(http.MethodDelete, "/v1/customers/me", "application/json", []byte(`{"password":"a password"}`), as(imp))
		}},
		{"sign out the customer everywhere", func() response { return s.do(http.MethodDelete, "/v1/sessions", "", nil, as(imp)) }},
	} {
		if r := tt.do(); r.status != http.StatusForbidden || r.code(t) != "impersonation_forbidden" {
			t.Errorf("an impersonation may not %s: %d %s", tt.name, r.status, r.body)
		}
	}
	if r := s.do(http.MethodPatch, "/v1/customers/me", "application/json", []byte(`{"firstName":"Helped"}`), as(imp)); r.status != http.StatusOK {
		t.Errorf("a profile fix as the customer: %d %s", r.status, r.body)
	}
	// The administrator may read the export, and that read is logged.
	if r := s.do(http.MethodGet, "/v1/customers/me/export", "", nil, as(imp)); r.status != http.StatusOK {
		t.Errorf("export as the customer: %d %s", r.status, r.body)
	}
	// The customer's export shows the administrator's session for what it is.
	export := s.do(http.MethodGet, "/v1/customers/me/export", "", nil, as(own))
	var x struct {
		Sessions []struct {
			ImpersonatedBy string `json:"impersonatedBy"`
		} `json:"sessions"`
	}
	_ = json.Unmarshal(export.body, &x)
	named := 0
	for _, ss := range x.Sessions {
		if ss.ImpersonatedBy == "local-admin" {
			named++
		}
	}
	if len(x.Sessions) != 2 || named != 1 {
		t.Errorf("the export's sessions %+v: want the customer's and the administrator's, named", x.Sessions)
	}
	if r := s.do(http.MethodDelete, "/v1/sessions/current", "", nil, as(imp)); r.status != http.StatusNoContent {
		t.Errorf("ending the impersonation: %d", r.status)
	}
	if r := s.me(imp); r.status != http.StatusUnauthorized {
		t.Errorf("the impersonation outlived its end: %d", r.status)
	}
	if r := s.me(own); r.status != http.StatusOK {
		t.Errorf("ending the impersonation ended the customer's own session: %d", r.status)
	}

	log := s.admin(http.MethodGet, "/v1/admin/customers/"+c.ID+"/activity?limit=100", nil)
	var p struct {
		Activity []struct {
			Type   string            `json:"type"`
			Detail map[string]string `json:"detail"`
		} `json:"activity"`
	}
	_ = json.Unmarshal(log.body, &p)
	types := []string{}
	for _, e := range p.Activity {
		types = append(types, e.Type)
		if (e.Type == "profile_updated" || e.Type == "signed_out" || e.Type == "exported") && e.Detail["impersonatedBy"] != "local-admin" {
			t.Errorf("the impersonation's %s entry does not name the administrator: %v", e.Type, e.Detail)
		}
	}
	if len(types) < 4 || types[len(types)-1] != "registered" || !slicesContain(types, "impersonated") || !slicesContain(types, "profile_updated") ||
		!slicesContain(types, "exported") {
		t.Errorf("activity (newest first) = %v", types)
	}
	if r := s.admin(http.MethodGet, "/v1/admin/customers/"+c.ID+"/consents", nil); r.status != http.StatusOK {
		t.Errorf("consents: %d %s", r.status, r.body)
	}

	if r := s.admin(http.MethodPost, "/v1/admin/customers/"+c.ID+"/deactivate", nil); r.status != http.StatusOK || r.json(t)["status"] != "deactivated" {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	if r := s.me(own); r.status != http.StatusUnauthorized {
		t.Errorf("a session outlived the deactivation: %d", r.status)
	}
	if r := s.signIn(email, "a password"); r.status != http.StatusUnauthorized || r.code(t) != "invalid_credentials" {
		t.Errorf("sign-in after deactivation: %d %s", r.status, r.body)
	}
	if r := s.admin(http.MethodPost, "/v1/admin/customers/"+c.ID+"/impersonation", nil); r.status != http.StatusConflict || r.code(t) != "invalid_state" {
		t.Errorf("impersonating a deactivated customer: %d %s", r.status, r.body)
	}
	if r := s.admin(http.MethodPost, "/v1/admin/customers/0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f/impersonation", nil); r.status != http.StatusNotFound {
		t.Errorf("impersonating nobody: %d", r.status)
	}
	if r := s.admin(http.MethodPost, "/v1/admin/customers/"+c.ID+"/verification-email", nil); r.status != http.StatusConflict {
		t.Errorf("a link for a verified customer: %d", r.status)
	}
}
