package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openreg/registration/internal/settings"
)

// from returns a copy of the stack whose requests come from another
// loopback address, as another client would.
func (s *stack) from(t *testing.T, ip string) *stack {
	t.Helper()
	c := *s
	c.t = t
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: s.client.CheckRedirect}
	return &c
}

func TestPreHijackingFails(t *testing.T) {
	s := newStack(t, nil)
	attacker, carol := s.from(t, "127.0.0.2"), s.from(t, "127.0.0.3")
	body := person("carol@example.com")
	body["password"] = "attacker's own"
	if r := attacker.register(body); r.status != http.StatusAccepted {
		t.Fatalf("attacker's registration: %d %s", r.status, r.body)
	}
	s.deliverMail()
	if r := carol.register(person("carol@example.com")); r.status != http.StatusAccepted {
		t.Fatalf("Carol's registration: %d %s", r.status, r.body)
	}
	tok := s.verificationToken("carol@example.com")
	if r := carol.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "attacker's own"}); r.status != http.StatusBadRequest || r.code(t) != "password_mismatch" {
		t.Errorf("confirming with the first registrant's password: %d %s, want 400 password_mismatch", r.status, r.body)
	}
	if r := carol.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}); r.status != http.StatusOK {
		t.Fatalf("Carol confirms: %d %s", r.status, r.body)
	}
	if r := attacker.signIn("carol@example.com", "attacker's own"); r.status != http.StatusUnauthorized {
		t.Errorf("the first registrant signs in: %d %s", r.status, r.body)
	}
	if r := carol.signIn("carol@example.com", "correct horse"); r.status != http.StatusOK {
		t.Errorf("Carol signs in: %d %s", r.status, r.body)
	}
}

func TestRegisterThenSignInRevealsNothing(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("taken@example.com", "owner's password")
	probe := func(addr string) response {
		body := person(addr)
		body["password"] = "probe password"
		if r := s.register(body); r.status != http.StatusAccepted {
			t.Fatalf("register %s: %d", addr, r.status)
		}
		s.deliverMail()
		return s.signIn(addr, "probe password")
	}
	free, taken := probe("free@example.com"), probe("taken@example.com")
	if free.status != taken.status || free.code(t) != taken.code(t) || free.status != http.StatusUnauthorized {
		t.Errorf("free address: %d %s; taken address: %d %s; want the same 401", free.status, free.body, taken.status, taken.body)
	}
}

func TestUsernameReservationRevealsNoAddress(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.UsernamesEnabled = true })
	if r := s.register(with(person("owner@example.com"), "username", "owner")); r.status != http.StatusAccepted {
		t.Fatalf("owner: %d %s", r.status, r.body)
	}
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": s.verificationToken("owner@example.com"), "password": "correct horse"}); r.status != 200 {
		t.Fatalf("owner verifies: %d", r.status)
	}
	answers := map[string]int{}
	for _, first := range []string{"free@example.com", "owner@example.com"} {
		user := "probe" + strings.Split(first, "@")[0]
		b := person(first)
		b["username"] = user
		if r := s.register(b); r.status != http.StatusAccepted {
			t.Fatalf("first registration: %d %s", r.status, r.body)
		}
		s.deliverMail()
		b2 := person("other-" + first)
		b2["username"] = user
		answers[first] = s.register(b2).status
	}
	if answers["free@example.com"] != answers["owner@example.com"] || answers["owner@example.com"] != http.StatusConflict {
		t.Errorf("reusing the username answered %v; want 409 whether or not the first address had an account", answers)
	}
}

func TestThrottlesStopAttackersNotOwners(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("owner@example.com", "owner's password")
	attacker, owner := s.from(t, "127.0.0.4"), s.from(t, "127.0.0.5")

	t.Run("the owner signs in from another address after a guessing burst", func(t *testing.T) {
		for range 10 {
			attacker.signIn("owner@example.com", "guess")
		}
		if r := attacker.signIn("owner@example.com", "owner's password"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Errorf("the guessing client with the right password: %d, want 429 with Retry-After", r.status)
		}
		if r := owner.signIn("owner@example.com", "owner's password"); r.status != http.StatusOK {
			t.Errorf("the owner from another address: %d %s", r.status, r.body)
		}
	})

	t.Run("spraying four guesses over ten logins from one address is stopped", func(t *testing.T) {
		sprayer := s.from(t, "127.0.0.6")
		refused := 0
		for i := range 10 {
			login := "victim" + string(rune('a'+i)) + "@example.com"
			for range 4 {
				if r := sprayer.signIn(login, "Summer2026!"); r.status == http.StatusTooManyRequests {
					refused++
					if r.code(t) != "too_many_requests" {
						t.Errorf("code = %s, want too_many_requests", r.code(t))
					}
				}
			}
		}
		if want := 40 - s.settings.SignInThrottle.PerClient.Max; refused != want {
			t.Errorf("refused %d of 40 guesses, want %d (past the per-client limit)", refused, want)
		}
	})
}

func TestOldLinksStopWorking(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.ClientLimits = settings.ClientLimits{} })
	s.register(person("links@example.com"))
	first := s.verificationToken("links@example.com")
	s.clock.Advance(2 * time.Minute) // past the resend interval
	if r := s.postJSON("/v1/verify-email/resend", map[string]string{"email": "links@example.com"}); r.status != http.StatusAccepted {
		t.Fatalf("resend: %d", r.status)
	}
	second := s.verificationToken("links@example.com")
	if first == second {
		t.Fatal("the resend mailed the same link")
	}
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": first, "password": "correct horse"}); r.status != http.StatusGone || r.code(t) != "token_replaced" {
		t.Errorf("the replaced link: %d %s, want 410 token_replaced", r.status, r.body)
	}
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": second, "password": "correct horse"}); r.status != http.StatusOK {
		t.Errorf("the newest link: %d %s", r.status, r.body)
	}
}

func TestNoPlainTokenAtRest(t *testing.T) {
	s := newStack(t, nil)
	s.register(person("secret2@example.com"))
	// What SQS carries is the outbox item's message body, and outbox items
	// stay in the table after the stream took them: the jobs are checked
	// with every other item.
	ctx := context.Background()
	s.deliverMail()
	var secrets []string
	for _, addr := range []string{"secret2@example.com"} {
		tok := s.verificationToken(addr)
		_, secret, _ := strings.Cut(tok, ".")
		secrets = append(secrets, secret)
	}
	out, err := s.clients.DynamoDB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.res.Table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		for k, v := range item {
			for _, sec := range secrets {
				if strings.Contains(stringOf(v), sec) {
					t.Errorf("item %v attribute %s holds the plain token", item["PK"], k)
				}
			}
			if strings.Contains(stringOf(v), "/v1/verify-email?token=") {
				t.Errorf("item %v attribute %s holds a verification link", item["PK"], k)
			}
		}
	}
}

func stringOf(v any) string { return fmt.Sprintf("%+v", v) }

func TestBidiNameIsRefused(t *testing.T) {
	s := newStack(t, nil)
	for _, name := range []string{"Ada\u202Eevil", "Your order 4411 is cancelled! Call", "A\u200Bda"} {
		b := person("bidi@example.com")
		b["firstName"] = name
		r := s.register(b)
		if r.status != http.StatusBadRequest || r.code(t) != "validation_failed" {
			t.Errorf("first name %q: %d %s, want 400", name, r.status, r.body)
		}
	}
	if n := s.items(); n != 0 {
		t.Errorf("refused registrations stored %d items", n)
	}
}

func TestReturnURLsComeBackNormalised(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("ret@example.com", "the password")
	for raw, want := range map[string]string{
		"/.//evil.example": "/", "/%2e//evil.example": "/", "/./\\evil.example": "/", "/a/./b/../c": "/a/c",
	} {
		r := s.postJSON("/v1/sessions", map[string]any{"login": "ret@example.com", "password": "the password", "returnUrl": raw})
		if got := r.json(t)["redirect"]; got != want {
			t.Errorf("returnUrl %q came back as %v, want %q", raw, got, want)
		}
	}
}

func TestBrowsersGetTheSessionOnlyInTheCookie(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("browser@example.com", "the password")
	r := s.signIn("browser@example.com", "the password", "Origin: https://shop.example")
	if _, ok := r.json(t)["sessionToken"]; ok || r.cookie("__Host-cr_session") == nil {
		t.Errorf("browser sign-in: body %s, cookie %v; want the token only in the __Host- cookie", r.body, r.cookie("__Host-cr_session"))
	}
	asked := s.signIn("browser@example.com", "the password", "Origin: https://shop.example", "X-Session-Transport: token")
	if _, ok := asked.json(t)["sessionToken"]; !ok {
		t.Errorf("a browser that asks for the token: %s", asked.body)
	}
	app := s.signIn("browser@example.com", "the password")
	if _, ok := app.json(t)["sessionToken"]; !ok {
		t.Errorf("a caller without Origin: %s", app.body)
	}
}
