package signin_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/captcha/providertest"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/usecasetest"
)

type fixture struct {
	*usecasetest.Env
	svc *signin.Service
}

const (
	adaID = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	pw    = "correct horse"
)

func newFixture(t *testing.T, mutate func(*settings.Settings)) *fixture {
	t.Helper()
	e := usecasetest.New(t, time.Hour, mutate)
	return &fixture{Env: e, svc: signin.New(signin.Deps{Settings: e.Settings, Store: e.Store, Sessions: e.Sessions, Hasher: e.Hasher,
		Captcha: usecasetest.Gate(e.Settings), Random: rand.Reader, Now: e.Clock.Now, Log: e.Log})}
}

// account stores Ada with status and the password pw, hashed with params.
func (f *fixture) account(t *testing.T, status customer.Status, h *password.Hasher) {
	t.Helper()
	if h == nil {
		h = f.Hasher
	}
	hash, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	f.Store.Put(customer.Customer{ID: adaID, StoreID: "default", Email: "ada@example.com", Username: "ada", Status: status,
		PasswordHash: hash, Language: "en", CreatedAt: f.Clock.Now()})
}

func (f *fixture) signIn(login, password, ip string) (signin.Result, error) {
	return f.svc.SignIn(context.Background(), signin.Request{Login: login, Password: password, SourceIP: ip})
}

var wantCode = usecasetest.WantCode

func TestSignIn(t *testing.T) {
	t.Run("a right password starts a session that authenticates", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		res, err := f.signIn("Ada@Example.com", pw, "10.0.0.1")
		if err != nil || res.CustomerID != adaID || res.Redirect != "/" {
			t.Fatalf("got %+v, %v", res, err)
		}
		if _, c, err := f.Sessions.Authenticate(context.Background(), res.Session.Token); err != nil || c.ID != adaID {
			t.Errorf("the session does not authenticate: %v", err)
		}
		if got := f.Store.Activities; len(got) != 1 || got[0].Type != customer.ActivitySignedIn || got[0].Detail["sourceIp"] != "10.0.0.1" {
			t.Errorf("activity = %+v, want one signed-in entry with the source address", got)
		}
	})

	t.Run("the username signs in too", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.UsernamesEnabled = true })
		f.account(t, customer.Active, nil)
		if _, err := f.signIn("ADA", pw, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a wrong password and an unknown login answer alike and leave one record each", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		_, wrong := f.signIn("ada@example.com", "wrong horse", "10.0.0.1")
		_, unknown := f.signIn("nobody@example.com", "wrong horse", "10.0.0.2")
		wantCode(t, wrong, apperr.InvalidCredentials)
		wantCode(t, unknown, apperr.InvalidCredentials)
		if wrong.Error() != unknown.Error() {
			t.Errorf("answers differ: %q vs %q", wrong, unknown)
		}
		if len(f.Store.Activities) != 1 || f.Store.Activities[0].Type != customer.ActivitySignInFailed || len(f.Store.Attempts) != 1 {
			t.Errorf("activities %+v, attempts %+v; want one failed entry and one attempt record", f.Store.Activities, f.Store.Attempts)
		}
		if strings.Contains(f.Store.Attempts[0].Login, "@") && !strings.HasPrefix(f.Store.Attempts[0].Login, "email:") {
			t.Errorf("attempt login = %q", f.Store.Attempts[0].Login)
		}
	})

	tests := []struct {
		name   string
		status customer.Status
		reveal bool
		want   apperr.Code
	}{
		{"an unverified account answers a right password like a wrong one", customer.Unverified, false, apperr.InvalidCredentials},
		{"an account waiting for approval answers a right password like a wrong one", customer.PendingApproval, false, apperr.InvalidCredentials},
		{"a deactivated account answers a right password like a wrong one", customer.Deactivated, false, apperr.InvalidCredentials},
		{"revealAccountState tells an unverified account", customer.Unverified, true, apperr.EmailNotVerified},
		{"revealAccountState tells an account waiting for approval", customer.PendingApproval, true, apperr.PendingApproval},
		{"revealAccountState still hides a deactivated account", customer.Deactivated, true, apperr.InvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(s *settings.Settings) { s.RevealAccountState = tt.reveal })
			f.account(t, tt.status, nil)
			_, err := f.signIn("ada@example.com", pw, "10.0.0.1")
			wantCode(t, err, tt.want)
			if f.Store.Sessions(adaID) != 0 {
				t.Error("a session was started")
			}
		})
	}

	t.Run("a right password on an unverified account queues a fresh link, no link itself", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Unverified, nil)
		_, _ = f.signIn("ada@example.com", pw, "10.0.0.1")
		if got := f.Store.Outbox; len(got) != 1 || got[0].Content != (account.VerificationLinkJob{CustomerID: adaID, StoreID: "default"}) {
			t.Errorf("outbox = %+v, want one verification-link job for Ada without a link", got)
		}
	})

	t.Run("an expired unverified account is an unknown login", func(t *testing.T) {
		f := newFixture(t, nil)
		hash, _ := f.Hasher.Hash(pw)
		f.Store.Put(customer.Customer{ID: adaID, Email: "ada@example.com", Status: customer.Unverified, PasswordHash: hash,
			ExpiresAt: f.Clock.Now().Add(time.Minute)})
		f.Clock.Advance(time.Minute)
		_, err := f.signIn("ada@example.com", pw, "10.0.0.1")
		wantCode(t, err, apperr.InvalidCredentials)
		if len(f.Store.Outbox) != 0 || len(f.Store.Attempts) != 1 {
			t.Errorf("outbox %+v, attempts %d; want no link for an expired account and an attempt record", f.Store.Outbox, len(f.Store.Attempts))
		}
	})

	t.Run("bad input is refused with every field's problem, and nothing is stored", func(t *testing.T) {
		f := newFixture(t, nil)
		_, err := f.signIn(" ", "", "10.0.0.1")
		var ae *apperr.Error
		if !asApp(err, &ae) || ae.Code != apperr.Validation || len(ae.Fields) != 2 {
			t.Fatalf("got %v, want a validation error for login and password", err)
		}
		_, err = f.signIn("ada@example.com", strings.Repeat("x", 1025), "10.0.0.1")
		wantCode(t, err, apperr.Validation)
		if len(f.Store.Attempts) != 0 || len(f.Store.Activities) != 0 {
			t.Error("bad input was counted")
		}
	})

	t.Run("a hash made with older parameters is replaced by a right password", func(t *testing.T) {
		f := newFixture(t, nil)
		older, err := password.NewHasher(password.Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		f.account(t, customer.Active, older)
		if _, err := f.signIn("ada@example.com", pw, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		c, _ := f.Store.Customer(context.Background(), adaID)
		if ok, rehash, err := f.Hasher.Verify(pw, c.PasswordHash); !ok || rehash || err != nil {
			t.Errorf("stored hash %q: ok %v, rehash %v, %v; want one made with the current parameters", c.PasswordHash, ok, rehash, err)
		}
	})
}

func TestThrottles(t *testing.T) {
	limits := func(s *settings.Settings) {
		s.SignInThrottle = settings.SignInThrottle{
			PerLoginAndClient: settings.Limit{Max: 3, Window: settings.Duration(15 * time.Minute)},
			PerClient:         settings.Limit{Max: 5, Window: settings.Duration(time.Hour)},
			PerLogin:          settings.Limit{Max: 6, Window: settings.Duration(15 * time.Minute)},
			Slowdown:          settings.Duration(3 * time.Second),
		}
		s.ClientLimits = settings.ClientLimits{}
	}

	t.Run("a client that guesses one login is locked out of it; the owner elsewhere signs in", func(t *testing.T) {
		f := newFixture(t, limits)
		f.account(t, customer.Active, nil)
		for range 3 {
			_, err := f.signIn("ada@example.com", "guess", "10.0.0.66")
			wantCode(t, err, apperr.InvalidCredentials)
		}
		_, err := f.signIn("ada@example.com", pw, "10.0.0.66")
		wantCode(t, err, apperr.LockedOut)
		if ae := err.(*apperr.Error); ae.RetryAfter < time.Second {
			t.Errorf("Retry-After = %v", ae.RetryAfter)
		}
		if _, err := f.signIn("ada@example.com", pw, "10.0.0.1"); err != nil {
			t.Errorf("the owner from another address: %v", err)
		}
	})

	t.Run("a login without an account locks the same way", func(t *testing.T) {
		f := newFixture(t, limits)
		for range 3 {
			_, _ = f.signIn("ghost@example.com", "guess", "10.0.0.66")
		}
		_, err := f.signIn("ghost@example.com", "guess", "10.0.0.66")
		wantCode(t, err, apperr.LockedOut)
	})

	t.Run("a client spraying many logins is refused across all of them", func(t *testing.T) {
		f := newFixture(t, limits)
		for i := range 5 {
			_, err := f.signIn(string(rune('a'+i))+"@example.com", "guess", "10.0.0.66")
			wantCode(t, err, apperr.InvalidCredentials)
		}
		_, err := f.signIn("z@example.com", "guess", "10.0.0.66")
		wantCode(t, err, apperr.TooManyRequests)
	})

	t.Run("a login attacked from many clients asks for a CAPTCHA instead, where the store has one", func(t *testing.T) {
		srv := providertest.Start(t, settings.RecaptchaV3, "s3cret", "site-key")
		f := newFixture(t, func(s *settings.Settings) {
			limits(s)
			s.Captcha = srv.Settings(t, settings.CaptchaOn{SignIn: true})
		})
		f.account(t, customer.Active, nil)
		for i := range 6 {
			_, err := f.signIn("ada@example.com", "guess", "10.0.1."+string(rune('1'+i)))
			wantCode(t, err, apperr.InvalidCredentials)
		}
		if n := len(srv.Received()); n != 0 {
			t.Fatalf("the provider was asked %d times before the login was under attack", n)
		}
		attempt := func(password, token, ip string) error {
			_, err := f.svc.SignIn(context.Background(), signin.Request{Login: "ada@example.com", Password: password,
				SourceIP: ip, CaptchaToken: token})
			return err
		}
		err := attempt(pw, "", "10.0.2.1")
		wantCode(t, err, apperr.Validation)
		if e := err.(*apperr.Error); len(e.Fields) != 1 || e.Fields[0].Code != captcha.CodeRequired {
			t.Fatalf("fields %+v, want captchaToken required", e.Fields)
		}
		wantCode(t, attempt(pw, "low-score@signIn", "10.0.2.1"), apperr.Validation)
		wantCode(t, attempt(pw, "pass@register", "10.0.2.1"), apperr.Validation)
		// A person who solves it is let through at once, no slowdown,
		// and a wrong password is still just wrong.
		wantCode(t, attempt("guess", "pass@signIn#1", "10.0.2.3"), apperr.InvalidCredentials)
		if err := attempt(pw, "pass@signIn#2", "10.0.2.2"); err != nil {
			t.Fatalf("the owner with a solved CAPTCHA: %v", err)
		}
		if n := len(srv.Received()); n != 4 {
			t.Errorf("the provider was asked %d times, want 4 (once per token)", n)
		}
	})

	t.Run("a login attacked from many clients slows down, one attempt per slowdown, and is never locked", func(t *testing.T) {
		f := newFixture(t, limits)
		f.account(t, customer.Active, nil)
		for i := range 6 {
			_, err := f.signIn("ada@example.com", "guess", "10.0.1."+string(rune('1'+i)))
			wantCode(t, err, apperr.InvalidCredentials)
		}
		_, err := f.signIn("ada@example.com", "guess", "10.0.2.1")
		wantCode(t, err, apperr.TooManyRequests)
		f.Clock.Advance(3 * time.Second)
		if _, err := f.signIn("ada@example.com", pw, "10.0.2.2"); err != nil {
			t.Errorf("the owner once the slowdown passed: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	t.Run("me answers the customer of a live session", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		res, err := f.signIn("ada@example.com", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if c, err := f.svc.Me(ctx, res.Session.Token); err != nil || c.Email != "ada@example.com" {
			t.Errorf("Me = %+v, %v", c, err)
		}
	})

	t.Run("a deactivated customer's session ends at its next use", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		res, _ := f.signIn("ada@example.com", pw, "10.0.0.1")
		c, _ := f.Store.Customer(ctx, adaID)
		c.Status = customer.Deactivated
		f.Store.Put(c)
		_, err := f.svc.Me(ctx, res.Session.Token)
		wantCode(t, err, apperr.Unauthenticated)
		if f.Store.Sessions(adaID) != 0 {
			t.Error("the session outlived the deactivation")
		}
	})

	t.Run("signing out ends the session and logs it; signing out again is fine and logs nothing", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		res, _ := f.signIn("ada@example.com", pw, "10.0.0.1")
		before := len(f.Store.Activities)
		if err := f.svc.SignOut(ctx, res.Session.Token, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SignOut(ctx, res.Session.Token, ""); err != nil {
			t.Fatal(err)
		}
		if got := f.Store.Activities[before:]; len(got) != 1 || got[0].Type != customer.ActivitySignedOut || got[0].CustomerID != adaID {
			t.Errorf("activity = %+v, want one signed-out entry", got)
		}
		_, err := f.svc.Me(ctx, res.Session.Token)
		wantCode(t, err, apperr.Unauthenticated)
	})

	t.Run("an outage is a 503, not a sign-in failure", func(t *testing.T) {
		f := newFixture(t, nil)
		f.Store.Err = apperr.New(apperr.Unavailable, "down")
		_, err := f.signIn("ada@example.com", pw, "10.0.0.1")
		wantCode(t, err, apperr.Unavailable)
	})
}

func asApp(err error, target **apperr.Error) bool {
	ae, ok := err.(*apperr.Error)
	if ok {
		*target = ae
	}
	return ok
}
