package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/settings"
)

// TestRecoveryEndsATakeover: an attacker with a session (and the password)
// asks to move the account to their address; the owner then takes the
// account back (a reset, a password change, or signing out everywhere).
// The attacker's link no longer completes the move, so no reset on the
// attacker's address can follow.
func TestRecoveryEndsATakeover(t *testing.T) {
	recoveries := []struct {
		name    string
		recover func(t *testing.T, s, owner *stack, email, tok string)
	}{
		{"the owner resets the password", func(t *testing.T, s, owner *stack, email, _ string) {
			owner.postJSON("/v1/password-resets", map[string]any{"email": email})
			link := s.linkToken(email, "/v1/password-reset")
			if r := owner.postJSON("/v1/password-reset", map[string]any{"token": link, "password": "owner's new one"}); r.status != http.StatusNoContent {
				t.Fatalf("reset: %d %s", r.status, r.body)
			}
		}},
		{"the owner changes the password", func(t *testing.T, s, owner *stack, _, tok string) {
			r := owner.do(http.MethodPut, "/v1/customers/me/password", "application/json",
				mustJSON(t, map[string]any{"currentPassword": "shared secret", "newPassword": "owner's new one"}), as(tok))
			if r.status != http.StatusNoContent {
				t.Fatalf("change: %d %s", r.status, r.body)
			}
		}},
		{"the owner signs out everywhere", func(t *testing.T, s, owner *stack, _, tok string) {
			if r := owner.do(http.MethodDelete, "/v1/sessions", "", nil, as(tok)); r.status != http.StatusNoContent {
				t.Fatalf("sign-out everywhere: %d %s", r.status, r.body)
			}
		}},
	}
	for _, rc := range recoveries {
		t.Run(rc.name+": the attacker's address change dies", func(t *testing.T) {
			s := newStack(t, nil)
			attacker, owner := s.from(t, "127.0.0.2"), s.from(t, "127.0.0.3")
			email, evil := "victim@example.com", "mallory@evil.example"
			ownerTok := s.activeCustomer(email, "shared secret")
			attackerTok := attacker.session(email, "shared secret")
			if r := attacker.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": evil, "password": "shared secret"}, as(attackerTok)); r.status != http.StatusAccepted {
				t.Fatalf("the attacker's change: %d %s", r.status, r.body)
			}
			link := s.linkToken(evil, "/v1/email-change")
			if link == "" {
				t.Fatal("no link at the attacker's address")
			}
			s.clock.Advance(2 * time.Minute)
			rc.recover(t, s, owner, email, ownerTok)
			if r := attacker.postJSON("/v1/email-change", map[string]any{"token": link}); r.status != http.StatusBadRequest || r.code(t) != "token_invalid" {
				t.Errorf("the attacker's link after the recovery: %d %s, want 400 token_invalid", r.status, r.body)
			}
			if c, _ := s.customerByEmail(email); c.Email != email {
				t.Fatalf("the account moved to %s", c.Email)
			}
			attacker.postJSON("/v1/password-resets", map[string]any{"email": evil})
			if tok := s.linkToken(evil, "/v1/password-reset"); tok != "" {
				t.Error("a reset on the attacker's address mailed a link")
			}
			if r := attacker.me(attackerTok); r.status != http.StatusUnauthorized && rc.name != "the owner resets the password" {
				t.Errorf("the attacker's session after %s: %d", rc.name, r.status)
			}
		})
	}

	t.Run("the owner's reset voids the attacker's change even before its link was mailed", func(t *testing.T) {
		s := newStack(t, nil)
		attacker, owner := s.from(t, "127.0.0.2"), s.from(t, "127.0.0.3")
		email, evil := "slow@example.com", "mallory2@evil.example"
		s.activeCustomer(email, "shared secret")
		attackerTok := attacker.session(email, "shared secret")
		if r := attacker.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": evil, "password": "shared secret"}, as(attackerTok)); r.status != http.StatusAccepted {
			t.Fatalf("the attacker's change: %d %s", r.status, r.body)
		}
		// The owner's reset commits before the mailer ran the change's job.
		owner.postJSON("/v1/password-resets", map[string]any{"email": email})
		s.deliverMail()
		s.clock.Advance(time.Second)
		link := s.linkToken(email, "/v1/password-reset")
		if r := owner.postJSON("/v1/password-reset", map[string]any{"token": link, "password": "owner's new one"}); r.status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		if tok := s.linkToken(evil, "/v1/email-change"); tok != "" {
			if r := attacker.postJSON("/v1/email-change", map[string]any{"token": tok}); r.status == http.StatusOK {
				t.Fatalf("the attacker completed the change after the reset")
			}
		}
		if c, _ := s.customerByEmail(email); c.Email != email {
			t.Fatalf("the account moved to %s", c.Email)
		}
	})

	t.Run("a completed change tells the old address, and the old address's reset links die", func(t *testing.T) {
		s := newStack(t, nil)
		old, next := "before@example.com", "after@example.org"
		tok := s.activeCustomer(old, "a password")
		s.postJSON("/v1/password-resets", map[string]any{"email": old})
		reset := s.linkToken(old, "/v1/password-reset")
		if r := s.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": next, "password": "a password"}, as(tok)); r.status != http.StatusAccepted {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		if r := s.postJSON("/v1/email-change", map[string]any{"token": s.linkToken(next, "/v1/email-change")}); r.status != http.StatusOK {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		s.deliverMail()
		found := false
		for _, subj := range s.subjectsTo(old) {
			found = found || strings.Contains(subj, "email address was changed")
		}
		if !found {
			t.Errorf("the old address was not told; its mails: %v", s.subjectsTo(old))
		}
		if r := s.postJSON("/v1/password-reset", map[string]any{"token": reset, "password": "whoever's"}); r.status != http.StatusBadRequest {
			t.Errorf("a reset link of the old address after the move: %d %s", r.status, r.body)
		}
	})
}

// TestResetOfAStrangersRegistrationKeepsOnlyTheAddress: an anonymous
// registration of someone else's address types a profile, an address,
// consents and newsletters; the mailbox's owner resets the password, which
// verifies the account, and finds none of it.
func TestResetOfAStrangersRegistrationKeepsOnlyTheAddress(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.Newsletters = []settings.NewsletterType{{ID: "deals", Name: "Deals"}}
	})
	stranger, owner := s.from(t, "127.0.0.2"), s.from(t, "127.0.0.3")
	email := "owner-of-mailbox@example.com"
	body := person(email)
	body["firstName"], body["company"], body["newsletters"] = "Mallory", "Evil Corp", []string{"deals"}
	if r := stranger.register(body); r.status != http.StatusAccepted {
		t.Fatalf("the stranger's registration: %d %s", r.status, r.body)
	}
	s.deliverMail()
	owner.postJSON("/v1/password-resets", map[string]any{"email": email})
	link := s.linkToken(email, "/v1/password-reset")
	if r := owner.postJSON("/v1/password-reset", map[string]any{"token": link, "password": "the owner's own"}); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	s.clock.Advance(time.Second)
	tok := owner.session(email, "the owner's own")
	export := owner.do(http.MethodGet, "/v1/customers/me/export", "", nil, as(tok))
	if export.status != http.StatusOK {
		t.Fatalf("export: %d %s", export.status, export.body)
	}
	for _, typed := range []string{"Mallory", "Evil Corp", "deals"} {
		if strings.Contains(string(export.body), typed) {
			t.Errorf("the export still has %q, which the stranger typed:\n%s", typed, export.body)
		}
	}
	c, _ := s.customerByEmail(email)
	if c.Status != customer.Active || c.Profile != (customer.Profile{}) || len(c.Newsletters) != 0 {
		t.Errorf("the account after the reset: %+v", c)
	}
}

// TestAnAccountWithoutAPasswordSignsInLikeAWrongPassword: an invited
// account has no password yet; signing in to it answers what a wrong
// password and an unknown login answer, never a 500.
func TestAnAccountWithoutAPasswordSignsInLikeAWrongPassword(t *testing.T) {
	s := newStack(t, nil)
	if r := s.admin(http.MethodPost, "/v1/admin/customers", map[string]any{"email": "invited@example.com", "firstName": "Ivy", "lastName": "Invited"}); r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	invited := s.signIn("invited@example.com", "any password at all")
	unknown := s.signIn("nobody-at-all@example.com", "any password at all")
	if invited.status != http.StatusUnauthorized || invited.code(t) != "invalid_credentials" || unknown.code(t) != invited.code(t) {
		t.Errorf("invited: %d %s; unknown: %d %s; want the same 401 invalid_credentials", invited.status, invited.body, unknown.status, unknown.body)
	}
}

// TestUsernameAndAddressDoNotShareABudget: with usernames on, exhausting
// the per-login-and-client budget through a known username must not lock
// the account's email address from that client, or the lock would tell
// the client which address the username has.
func TestUsernameAndAddressDoNotShareABudget(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.UsernamesEnabled = true })
	if r := s.register(with(person("hidden@example.com"), "username", "hidden")); r.status != http.StatusAccepted {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": s.verificationToken("hidden@example.com"), "password": "correct horse"}); r.status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	prober := s.from(t, "127.0.0.6")
	var last response
	for range s.settings.SignInThrottle.PerLoginAndClient.Max + 1 {
		last = prober.signIn("hidden", "guess")
	}
	if last.status != http.StatusTooManyRequests {
		t.Fatalf("the username after its budget: %d, want 429", last.status)
	}
	candidate, stranger := prober.signIn("hidden@example.com", "guess"), prober.signIn("not-hidden@example.com", "guess")
	if candidate.status != stranger.status || candidate.status != http.StatusUnauthorized {
		t.Errorf("the username's address answered %d, another address %d; want both 401", candidate.status, stranger.status)
	}
}

// TestIPv6ClientsAreCountedByTheirSlash64: API Gateway gives the function
// the client's address; the addresses of one IPv6 /64 share a per-client
// budget, an IPv4-mapped address is its IPv4 client, and another /64 has a
// budget of its own.
func TestIPv6ClientsAreCountedByTheirSlash64(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.ClientLimits.Register = settings.Limit{Max: 3, Window: settings.Duration(time.Hour)}
	})
	register := func(ip, email string) int {
		t.Helper()
		body := string(mustJSON(t, person(email)))
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/customers", Body: body,
			Headers: map[string]string{"content-type": "application/json"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r-" + email,
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/v1/customers", SourceIP: ip}}}
		resp, err := s.functions[functions.Register](context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	for i, ip := range []string{"2001:db8:a:b::1", "2001:db8:a:b::2", "2001:db8:a:b:ffff::3"} {
		if got := register(ip, fmt.Sprintf("v6-%d@example.com", i)); got != http.StatusAccepted {
			t.Fatalf("registration %d from %s: %d", i, ip, got)
		}
	}
	if got := register("2001:db8:a:b::4", "v6-4@example.com"); got != http.StatusTooManyRequests {
		t.Errorf("a fourth address of the same /64: %d, want 429", got)
	}
	if got := register("2001:db8:a:c::1", "v6-5@example.com"); got != http.StatusAccepted {
		t.Errorf("another /64: %d, want 202", got)
	}
	for i, ip := range []string{"192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"} {
		register(ip, fmt.Sprintf("v4-%d@example.com", i))
	}
	if got := register("::ffff:192.0.2.7", "v4-3@example.com"); got != http.StatusTooManyRequests {
		t.Errorf("the IPv4 client's fourth registration, IPv4-mapped: %d, want 429", got)
	}
}

// TestBodiesAreReadWithExactKeys: a body whose keys a proxy, a WAF or a log
// pipeline could read otherwise than we do is refused, storing nothing.
func TestBodiesAreReadWithExactKeys(t *testing.T) {
	s := newStack(t, nil)
	before := s.items()
	for _, body := range []string{
		`{"emAil":"case@example.com","password":"correct horse","firstName":"A","lastName":"B"}`,
		`{"email":"first@example.com","email":"second@example.com","password":"correct horse","firstName":"A","lastName":"B"}`,
		`{"email":"x@example.com","EMAIL":"y@example.com","password":"correct horse","firstName":"A","lastName":"B"}`,
	} {
		r := s.do(http.MethodPost, "/v1/customers", "application/json", []byte(body))
		if r.status != http.StatusBadRequest || r.code(t) != "invalid_body" {
			t.Errorf("%s: %d %s, want 400 invalid_body", body, r.status, r.body)
		}
	}
	if r := s.do(http.MethodPost, "/v1/sessions", "application/json", []byte(`{"login":"a@example.com","Password":"x"}`)); r.code(t) != "invalid_body" {
		t.Errorf("sign-in with a case-variant key: %d %s", r.status, r.body)
	}
	if after := s.items(); after != before {
		t.Errorf("refused bodies stored %d items", after-before)
	}
}

// TestCookieRequestsFromOtherSitesChangeNothing: a page on another site
// makes the shopper's browser send their cookies; whatever it asks to
// change is refused and nothing changes. A server (no Origin, no
// Sec-Fetch-Site) and the storefront's own pages are served.
func TestCookieRequestsFromOtherSitesChangeNothing(t *testing.T) {
	s := newStack(t, nil)
	tok := s.activeCustomer("cookie-owner@example.com", "a password")
	cookie := "Cookie: __Host-cr_session=" + tok
	evil := []string{cookie, "Origin: https://evil.example", "Sec-Fetch-Site: cross-site"}
	sibling := []string{cookie, "Origin: https://blog.shop.example", "Sec-Fetch-Site: same-site"}
	for _, tt := range []struct {
		name    string
		headers []string
	}{{"another site", evil}, {"a sibling subdomain", sibling}} {
		t.Run("sign-out everywhere from "+tt.name+" is refused", func(t *testing.T) {
			r := s.do(http.MethodDelete, "/v1/sessions", "", nil, tt.headers...)
			if r.status != http.StatusForbidden || r.code(t) != "cross_site_request" {
				t.Errorf("%d %s, want 403 cross_site_request", r.status, r.body)
			}
			if r := s.me(tok); r.status != http.StatusOK {
				t.Errorf("the session after the refused request: %d", r.status)
			}
		})
	}
	t.Run("a profile change from another site is refused", func(t *testing.T) {
		r := s.do(http.MethodPatch, "/v1/customers/me", "application/json", []byte(`{"firstName":"Mallory"}`), evil...)
		if r.status != http.StatusForbidden || r.code(t) != "cross_site_request" {
			t.Errorf("%d %s", r.status, r.body)
		}
		if c, _ := s.customerByEmail("cookie-owner@example.com"); c.Profile.FirstName == "Mallory" {
			t.Error("the profile changed")
		}
	})
	t.Run("the storefront's own page may change state with the cookie", func(t *testing.T) {
		r := s.do(http.MethodPatch, "/v1/customers/me", "application/json", []byte(`{"firstName":"Ada"}`),
			cookie, "Origin: https://shop.example", "Sec-Fetch-Site: same-site")
		if r.status != http.StatusOK {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("a server without browser headers is unaffected", func(t *testing.T) {
		if r := s.do(http.MethodDelete, "/v1/sessions/current", "", nil, cookie); r.status != http.StatusNoContent {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

// TestErasureLeavesNothingThatNamesTheAddress: after an erasure and its
// sweep, no item of the table names the address: not the store owner's
// notice about the customer, not the reset and resend jobs that named it,
// not the interval claims.
func TestErasureLeavesNothingThatNamesTheAddress(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.NotifyStoreOwner, st.StoreOwnerEmail = true, "owner@shop.example"
	})
	email := "Erase-Me@Example.com"
	tok := s.activeCustomer(email, "a password")
	s.postJSON("/v1/password-resets", map[string]any{"email": email})
	s.postJSON("/v1/verify-email/resend", map[string]any{"email": email})
	s.deliverMail()
	s.clock.Advance(time.Second)
	if r := s.do(http.MethodDelete, "/v1/customers/me", "application/json", []byte(`{"password":"a password"}`), as(tok)); r.status != http.StatusAccepted {
		t.Fatalf("erase: %d %s", r.status, r.body)
	}
	s.deliverMail()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(m); strings.Contains(strings.ToLower(string(b)), "erase-me@example.com") {
			t.Errorf("an item names the erased address: %s", b)
		}
	}
}
