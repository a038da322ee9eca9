package signin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/signin"
)

func TestSignOut(t *testing.T) {
	t.Run("signing out revokes the session and logs it", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCustomer(t, ada())
		res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		f.store.activities = nil
		f.clock.Advance(time.Minute)

		if err := f.svc.SignOut(ctx, res.Session.Token); err != nil {
			t.Fatal(err)
		}
		_, err := f.mgr.Authenticate(ctx, res.Session.Token)
		appErr(t, err, apperr.Unauthenticated)
		if len(f.store.activities) != 1 || f.store.activities[0].Type != customer.ActivitySignedOut ||
			f.store.activities[0].CustomerID != c.ID || !f.store.activities[0].At.Equal(start.Add(time.Minute)) {
			t.Errorf("got activities %+v, want one signed_out entry for %s", f.store.activities, c.ID)
		}
	})

	t.Run("signing out leaves the customer's other sessions alone", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		a := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		b := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		if err := f.svc.SignOut(ctx, a.Session.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := f.mgr.Authenticate(ctx, b.Session.Token); err != nil {
			t.Errorf("got %v for the other session, want it live", err)
		}
	})

	tests := []struct {
		name  string
		token string
	}{
		{"signing out without a token succeeds", ""},
		{"signing out with a malformed token succeeds", "garbage"},
		{"signing out with an unknown token succeeds", strings.Repeat("A", 43)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.svc.SignOut(ctx, tt.token); err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if len(f.store.activities) != 0 {
				t.Errorf("got activities %+v, want none without a session", f.store.activities)
			}
		})
	}
}

func TestMe(t *testing.T) {
	t.Run("a live session returns its customer", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCustomer(t, ada())
		res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		got, err := f.svc.Me(ctx, res.Session.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || got.Email != c.Email {
			t.Errorf("got %s <%s>, want %s <%s>", got.ID, got.Email, c.ID, c.Email)
		}
	})

	tests := []struct {
		name  string
		token func(f *fixture, live string) string
	}{
		{"no token is unauthenticated", func(*fixture, string) string { return "" }},
		{"a malformed token is unauthenticated", func(*fixture, string) string { return "not a token" }},
		{"an unknown token is unauthenticated", func(*fixture, string) string { return strings.Repeat("A", 43) }},
		{"a signed-out token is unauthenticated", func(f *fixture, live string) string {
			if err := f.svc.SignOut(ctx, live); err != nil {
				panic(err)
			}
			return live
		}},
		{"an expired token is unauthenticated", func(f *fixture, live string) string {
			f.clock.Advance(24 * time.Hour)
			return live
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
			_, err := f.svc.Me(ctx, tt.token(f, res.Session.Token))
			appErr(t, err, apperr.Unauthenticated)
		})
	}

	for _, st := range []customer.Status{customer.Deactivated, customer.Unverified, customer.PendingApproval} {
		t.Run("a customer who became "+string(st)+" since signing in is unauthenticated and the session revoked", func(t *testing.T) {
			f := newFixture(t)
			c := f.addCustomer(t, ada())
			res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
			f.store.setStatus(c.ID, st)

			got, err := f.svc.Me(ctx, res.Session.Token)
			appErr(t, err, apperr.Unauthenticated)
			if got.ID != "" {
				t.Errorf("got customer %q, want none", got.ID)
			}
			if _, err := f.mgr.Authenticate(ctx, res.Session.Token); err == nil {
				t.Error("got the session still live, want it revoked")
			}
			// Re-activating the account does not bring the session back.
			f.store.setStatus(c.ID, customer.Active)
			_, err = f.svc.Me(ctx, res.Session.Token)
			appErr(t, err, apperr.Unauthenticated)
		})
	}

	t.Run("a customer deleted since signing in is unauthenticated and the session revoked", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCustomer(t, ada())
		res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		delete(f.store.customers, c.ID)
		_, err := f.svc.Me(ctx, res.Session.Token)
		appErr(t, err, apperr.Unauthenticated)
		if _, err := f.mgr.Authenticate(ctx, res.Session.Token); err == nil {
			t.Error("got the session still live, want it revoked")
		}
	})
}
