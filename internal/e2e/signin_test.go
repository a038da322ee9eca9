package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/settings"
)

// activeCustomer registers and verifies an account.
// activeCustomer registers email with pw and confirms it, and returns the
// session the confirmation started.
func (s *stack) activeCustomer(email, pw string) string {
	s.t.Helper()
	body := person(email)
	body["password"] = pw
	if r := s.register(body); r.status != 202 {
		s.t.Fatalf("register %s: %d %s", email, r.status, r.body)
	}
	r := s.postJSON("/v1/verify-email", map[string]string{"token": s.verificationToken(email), "password": pw})
	tok, _ := r.json(s.t)["sessionToken"].(string)
	if r.status != 200 || tok == "" {
		s.t.Fatalf("verify %s: %d %s", email, r.status, r.body)
	}
	return tok
}

func TestSignIn(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("grace@example.com", "hopper123")

	t.Run("wrong password and unknown login get the same answer", func(t *testing.T) {
		wrong := s.signIn("grace@example.com", "not-it")
		unknown := s.signIn("nobody@example.com", "not-it")
		if wrong.status != 401 || unknown.status != 401 {
			t.Fatalf("statuses %d, %d; want 401", wrong.status, unknown.status)
		}
		w, u := wrong.json(t), unknown.json(t)
		delete(w, "requestId")
		delete(u, "requestId")
		if w["code"] != "invalid_credentials" || len(w) != len(u) || w["detail"] != u["detail"] || w["title"] != u["title"] {
			t.Errorf("answers differ: %s vs %s", wrong.body, unknown.body)
		}
	})

	t.Run("return URLs leave the site only as /", func(t *testing.T) {
		for _, ret := range []string{"//evil.example", `/\evil.example`, "https://evil.example", "javascript:alert(1)", "/%2F/evil.example"} {
			r := s.postJSON("/v1/sessions", map[string]any{"login": "grace@example.com", "password": "hopper123", "returnUrl": ret})
			if r.status != 200 {
				t.Fatalf("sign-in: %d %s", r.status, r.body)
			}
			if got := r.json(t)["redirect"]; got != "/" {
				t.Errorf("returnUrl %q redirected to %v", ret, got)
			}
		}
		r := s.postJSON("/v1/sessions", map[string]any{"login": "grace@example.com", "password": "hopper123", "returnUrl": "/cart?step=2"})
		if got := r.json(t)["redirect"]; got != "/cart?step=2" {
			t.Errorf("local returnUrl redirected to %v", got)
		}
	})

	t.Run("remember me makes the cookie persistent", func(t *testing.T) {
		r := s.postJSON("/v1/sessions", map[string]any{"login": "grace@example.com", "password": "hopper123", "rememberMe": true})
		ck := r.cookie("__Host-cr_session")
		if ck == nil || ck.MaxAge < 29*24*3600 {
			t.Errorf("cookie = %+v", ck)
		}
		short := s.signIn("grace@example.com", "hopper123").cookie("__Host-cr_session")
		if short == nil || short.MaxAge != 0 || !short.Expires.IsZero() {
			t.Errorf("non-persistent cookie = %+v", short)
		}
	})

	t.Run("too many failures lock the login, known or not", func(t *testing.T) {
		for _, login := range []string{"grace@example.com", "ghost@example.com"} {
			var last response
			limit := s.settings.SignInThrottle.PerLoginAndClient.Max
			for i := 0; i < limit; i++ {
				if r := s.signIn(login, "bad guess"); r.status != http.StatusUnauthorized {
					t.Fatalf("%s failure %d of %d: %d %s, want 401", login, i+1, limit, r.status, r.body)
				}
			}
			last = s.signIn(login, "bad guess")
			if last.status != http.StatusTooManyRequests || last.code(t) != "locked_out" {
				t.Fatalf("%s after %d failures: %d %s", login, limit, last.status, last.body)
			}
			// Counters run in fixed windows: the lock lasts until the
			// window ends, however close that is.
			window := time.Duration(s.settings.SignInThrottle.PerLoginAndClient.Window)
			now := s.clock.Now()
			want := max(int(now.Truncate(window).Add(window).Sub(now).Round(time.Second)/time.Second), 1)
			if ra, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || ra != want {
				t.Errorf("Retry-After = %q, want %d (the end of the window)", last.header.Get("Retry-After"), want)
			}
			if r := s.signIn(login, "hopper123"); r.status != http.StatusTooManyRequests {
				t.Errorf("%s while locked with the right password: %d", login, r.status)
			}
		}
		s.clock.Advance(time.Duration(s.settings.SignInThrottle.PerLoginAndClient.Window))
		if r := s.signIn("grace@example.com", "hopper123"); r.status != 200 {
			t.Errorf("after the lock: %d %s", r.status, r.body)
		}
	})
}

func TestUsernames(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.UsernamesEnabled = true; st.RegistrationType = settings.Standard })
	body := person("lin@example.com")
	body["username"] = "Lin.Q"
	if r := s.register(body); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := s.signIn("lin.q", "correct horse"); r.status != 200 {
		t.Errorf("sign-in by username: %d %s", r.status, r.body)
	}
	if r := s.signIn("LIN@example.com", "correct horse"); r.status != 200 {
		t.Errorf("sign-in by email: %d %s", r.status, r.body)
	}
	other := person("lin2@example.com")
	other["username"] = "LIN.q"
	if r := s.register(other); r.status != http.StatusConflict || r.code(t) != "username_taken" {
		t.Errorf("taken username: %d %s", r.status, r.body)
	}
}

// TestRegisteringSignsOutTheCurrentCustomer: a request carrying a session
// first signs that customer out.
func TestRegisteringSignsOutTheCurrentCustomer(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
	first := s.register(person("first@example.com"))
	tok, _ := first.json(t)["sessionToken"].(string)
	second := s.register(person("second@example.com"), "Cookie: cr_session="+tok)
	if second.status != 201 {
		t.Fatalf("second: %d %s", second.status, second.body)
	}
	if me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+tok); me.status != 401 {
		t.Errorf("the first customer's session survived: %d", me.status)
	}
	newTok, _ := second.json(t)["sessionToken"].(string)
	me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+newTok)
	if me.status != 200 || me.json(t)["email"] != "second@example.com" {
		t.Errorf("new session: %d %s", me.status, me.body)
	}
}

// countCustomers counts customer profiles in the stack's table.
func (s *stack) countCustomers() int {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(s.res.Table),
		FilterExpression:          aws.String("#t = :c"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "customer"}},
		Select:                    types.SelectCount,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return int(out.Count)
}

// TestTakenUsernameRevealsNoEmail: with usernames on under double opt-in, a
// taken username is refused the same way whether or not the email address
// is registered, so the username cannot be used to probe addresses.
func TestTakenUsernameRevealsNoEmail(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.UsernamesEnabled = true })
	owner := person("owner@example.com")
	owner["username"] = "taken"
	if r := s.register(owner); r.status != 202 {
		t.Fatalf("owner: %d %s", r.status, r.body)
	}
	probeRegistered := person("owner@example.com")
	probeRegistered["username"] = "taken"
	probeFree := person("free@example.com")
	probeFree["username"] = "taken"
	a, b := s.register(probeRegistered), s.register(probeFree)
	if a.status != b.status || a.code(t) != b.code(t) || a.status != http.StatusConflict {
		t.Errorf("registered address: %d %s; free address: %d %s", a.status, a.body, b.status, b.body)
	}
}

// TestFailedRegistrationKeepsTheSession: the sign-out that registering
// implies happens in the same write as the new account, so a refused
// registration leaves the current customer signed in.
func TestFailedRegistrationKeepsTheSession(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
	first := s.register(person("stay@example.com"))
	tok, _ := first.json(t)["sessionToken"].(string)
	r := s.register(person("stay@example.com"), "Cookie: cr_session="+tok)
	if r.status != http.StatusConflict {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	if me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+tok); me.status != 200 {
		t.Errorf("the session did not survive a refused registration: %d", me.status)
	}
}

// TestLockoutHoldsUnderParallelGuesses: a burst of concurrent guesses gets no
// more password checks than the limit allows.
func TestLockoutHoldsUnderParallelGuesses(t *testing.T) {
	s := newStack(t, nil)
	s.activeCustomer("burst@example.com", "the right one")
	statuses := atOnce(30, func(i int) response { return s.signIn("burst@example.com", fmt.Sprintf("guess %d", i)) })
	checked := 0
	for _, st := range statuses {
		if st == http.StatusUnauthorized {
			checked++
		}
	}
	if max := s.settings.SignInThrottle.PerLoginAndClient.Max; checked > max {
		t.Errorf("%d guesses were answered invalid_credentials; at most %d may be answered before the lock", checked, max)
	}
	if r := s.signIn("burst@example.com", "the right one"); r.status != http.StatusTooManyRequests {
		t.Errorf("the right password after the burst: %d, want 429", r.status)
	}
}
