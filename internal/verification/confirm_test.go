package verification_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/usecasetest"
	"github.com/openreg/registration/internal/verification"
)

const (
	adaID = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	pw    = "correct horse"
)

type fixture struct {
	*usecasetest.Env
	tokens *token.Generator
	svc    *verification.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := usecasetest.New(t, time.Hour)
	return &fixture{Env: e, tokens: token.NewGenerator(rand.Reader),
		svc: verification.New(verification.Deps{Store: e.Store, Sessions: e.Sessions, Hasher: e.Hasher, Policy: password.DefaultPolicy(),
			Random: rand.Reader, Now: e.Clock.Now})}
}

// unverified stores Ada, unverified, with a live link, and returns the
// link's token. A blank password makes an account created without one.
func (f *fixture) unverified(t *testing.T, password string, mutate func(*customer.Customer)) string {
	t.Helper()
	plain, link, err := customer.MintLink(f.tokens, adaID, f.Clock.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := customer.Customer{ID: adaID, StoreID: "default", Email: "ada@example.com", Status: customer.Unverified, Language: "en",
		Profile: customer.Profile{FirstName: "Ada"}, Link: &link, ExpiresAt: f.Clock.Now().Add(7 * 24 * time.Hour),
		ReturnURL: "/checkout", CreatedAt: f.Clock.Now()}
	if password != "" {
		if c.PasswordHash, err = f.Hasher.Hash(password); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(&c)
	}
	f.Store.Put(c)
	return plain
}

func (f *fixture) confirm(tok, password string) (verification.Result, error) {
	return f.svc.Confirm(context.Background(), verification.Request{Token: tok, Password: password, SourceIP: "10.0.0.1"})
}

var wantCode = usecasetest.WantCode

func TestConfirm(t *testing.T) {
	t.Run("the link and the registration's password verify the address and sign in", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, nil)
		res, err := f.confirm(tok, pw)
		if err != nil || res.Status != customer.Active || res.Session == nil || res.ReturnURL != "/checkout" || res.AlreadyVerified {
			t.Fatalf("got %+v, %v", res, err)
		}
		if _, c, err := f.Sessions.Authenticate(context.Background(), res.Session.Token); err != nil || c.Status != customer.Active {
			t.Errorf("the session: %v (status %s)", err, c.Status)
		}
		if got := f.Store.Outbox; len(got) != 1 || got[0].Kind() != mail.Welcome || got[0].To.Email != "ada@example.com" {
			t.Errorf("outbox = %+v, want the welcome", got)
		}
		if got := f.Store.Activities; len(got) != 1 || got[0].Type != customer.ActivityEmailVerified {
			t.Errorf("activity = %+v", got)
		}
	})

	t.Run("a second press finds the address verified and signs nobody in", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, nil)
		if _, err := f.confirm(tok, pw); err != nil {
			t.Fatal(err)
		}
		res, err := f.confirm(tok, pw)
		if err != nil || !res.AlreadyVerified || res.Session != nil {
			t.Errorf("got %+v, %v; want AlreadyVerified without a session", res, err)
		}
	})

	t.Run("a wrong password is a mismatch; the fifth spends the link, even for the right one after", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, nil)
		for i := 1; i < verification.MaxPasswordTries; i++ {
			_, err := f.confirm(tok, "wrong horse")
			wantCode(t, err, apperr.PasswordMismatch)
		}
		_, err := f.confirm(tok, "wrong horse")
		wantCode(t, err, apperr.TokenInvalid)
		_, err = f.confirm(tok, pw)
		wantCode(t, err, apperr.TokenInvalid)
		if c, _ := f.Store.Customer(context.Background(), adaID); c.Status != customer.Unverified {
			t.Errorf("status = %s, want still unverified", c.Status)
		}
	})

	t.Run("a link the account replaced says so", func(t *testing.T) {
		f := newFixture(t)
		old := f.unverified(t, pw, nil)
		c, _ := f.Store.Customer(context.Background(), adaID)
		_, fresh, err := customer.MintLink(f.tokens, adaID, f.Clock.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c.Link, c.VoidedLinks = c.WithLink(fresh)
		f.Store.Put(c)
		_, err = f.confirm(old, pw)
		wantCode(t, err, apperr.TokenReplaced)
	})

	t.Run("an expired link says so", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, nil)
		f.Clock.Advance(time.Hour)
		_, err := f.confirm(tok, pw)
		wantCode(t, err, apperr.TokenExpired)
	})

	t.Run("an account past its time is gone, whatever its link says", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, func(c *customer.Customer) { c.ExpiresAt = f.Clock.Now().Add(time.Minute) })
		f.Clock.Advance(time.Minute)
		_, err := f.confirm(tok, pw)
		wantCode(t, err, apperr.TokenInvalid)
	})

	t.Run("an account that needs approval is verified and waits, with no session", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, func(c *customer.Customer) { c.RequiresApproval = true })
		res, err := f.confirm(tok, pw)
		if err != nil || res.Status != customer.PendingApproval || res.Session != nil {
			t.Errorf("got %+v, %v; want pending_approval without a session", res, err)
		}
	})

	t.Run("an account created without a password chooses one here, under the policy", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, "", nil)
		_, err := f.confirm(tok, "short")
		wantCode(t, err, apperr.Validation)
		res, err := f.confirm(tok, "a long enough passphrase")
		if err != nil || res.Session == nil {
			t.Fatalf("got %+v, %v", res, err)
		}
		c, _ := f.Store.Customer(context.Background(), adaID)
		if ok, _, _ := f.Hasher.Verify("a long enough passphrase", c.PasswordHash); !ok {
			t.Error("the chosen password was not stored")
		}
	})

	tests := []struct {
		name, token, password string
		want                  apperr.Code
	}{
		{"a malformed token is invalid", "not-a-token", pw, apperr.TokenInvalid},
		{"a token for no account is invalid", "1c7a3d2f-6e3b-4d2c-8a4f-3b2c4d5e6f70." + strings.Repeat("A", 43), pw, apperr.TokenInvalid},
		{"an empty password is refused", "", "", apperr.Validation},
		{"a password over 1024 bytes is refused before hashing", "", strings.Repeat("x", 1025), apperr.Validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tok := f.unverified(t, pw, nil)
			if tt.token != "" {
				tok = tt.token
			}
			_, err := f.confirm(tok, tt.password)
			wantCode(t, err, tt.want)
			if c, _ := f.Store.Customer(context.Background(), adaID); c.Status != customer.Unverified || c.Link.Attempts != 0 {
				t.Errorf("the account changed: %+v", c)
			}
		})
	}

	t.Run("an outage is a 503, not an invalid link", func(t *testing.T) {
		f := newFixture(t)
		tok := f.unverified(t, pw, nil)
		f.Store.Err = apperr.New(apperr.Unavailable, "down")
		_, err := f.confirm(tok, pw)
		wantCode(t, err, apperr.Unavailable)
	})
}
