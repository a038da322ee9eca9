package myaccount_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/store/memstore"
)

// resetLink asks for a reset link of Ada's address and returns its token.
func (f *fixture) resetLink(t *testing.T) string {
	t.Helper()
	f.Clock.Advance(2 * time.Minute) // past the interval of the one before
	if err := f.svc.RequestReset(context.Background(), "ada@example.com", "", nil, ""); err != nil {
		t.Fatal(err)
	}
	m, due := runJob(t, f, f.links.Reset)
	if !due {
		t.Fatal("no reset link mailed")
	}
	return tokenOf(t, m.Content.(mail.ResetLink).Link)
}

// attackerMovesAda is Ada's account with two sessions, the attacker's and
// the owner's, and the attacker's request to move it to their address; it
// returns the owner's session.
func attackerMovesAda(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	f.ada(t, customer.Active)
	attacker, owner := f.session(t, pw), f.session(t, pw)
	if err := f.svc.RequestEmailChange(context.Background(), attacker, "mallory@evil.example", pw, ""); err != nil {
		t.Fatal(err)
	}
	return f, owner
}

// TestRecoveryIsFinal: a reset, a password change, a sign-out everywhere
// and a completed address change each void every pending address change
// and reset link, so what an attacker with a session set going cannot
// complete after the owner took the account back.
func TestRecoveryIsFinal(t *testing.T) {
	ctx := context.Background()
	recoveries := []struct {
		name    string
		recover func(t *testing.T, f *fixture, owner string)
	}{
		{"a password reset", func(t *testing.T, f *fixture, _ string) {
			if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: f.resetLink(t), Password: "owner's new"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a password change", func(t *testing.T, f *fixture, owner string) {
			if err := f.svc.ChangePassword(ctx, owner, pw, "owner's new", ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"a sign-out everywhere", func(t *testing.T, f *fixture, owner string) {
			if err := f.svc.SignOutEverywhere(ctx, owner, ""); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, rc := range recoveries {
		t.Run(rc.name+" voids an address change whose link was mailed", func(t *testing.T) {
			f, owner := attackerMovesAda(t)
			m, due := runJob(t, f, f.links.ChangeEmail)
			if !due {
				t.Fatal("no link mailed")
			}
			rc.recover(t, f, owner)
			_, err := f.svc.ConfirmEmailChange(ctx, tokenOf(t, m.Content.(mail.EmailChangeLink).Link), "")
			wantCode(t, err, apperr.TokenInvalid)
			if c, _ := f.Store.Customer(ctx, adaID); c.Email != "ada@example.com" {
				t.Errorf("the account moved to %s", c.Email)
			}
		})
		t.Run(rc.name+" voids an address change whose job had not run yet", func(t *testing.T) {
			f, owner := attackerMovesAda(t)
			f.Clock.Advance(time.Second)
			rc.recover(t, f, owner)
			if _, due := runJob(t, f, f.links.ChangeEmail); due {
				t.Error("the mailer minted the attacker's link after the recovery")
			}
		})
		t.Run(rc.name+" voids a reset link mailed before it", func(t *testing.T) {
			f := newFixture(t)
			f.ada(t, customer.Active)
			owner := f.session(t, pw)
			stale := f.resetLink(t)
			f.Clock.Advance(time.Second)
			if rc.name == "a password reset" {
				// The reset itself spends its own link; a second link is
				// the one that must die.
				stale2 := f.resetLink(t)
				rc.recover = func(t *testing.T, f *fixture, _ string) {
					if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: stale2, Password: "owner's new"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			rc.recover(t, f, owner)
			err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: stale, Password: "attacker's pick"})
			if apperr.CodeOf(err) != apperr.TokenInvalid {
				t.Errorf("a reset link from before the recovery: %v, want token_invalid", err)
			}
		})
	}
	t.Run("a completed address change voids the reset links of the old address and tells it", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Active)
		tok := f.session(t, pw)
		stale := f.resetLink(t)
		if err := f.svc.RequestEmailChange(ctx, tok, "ada@new.example", pw, ""); err != nil {
			t.Fatal(err)
		}
		m, _ := runJob(t, f, f.links.ChangeEmail)
		if _, err := f.svc.ConfirmEmailChange(ctx, tokenOf(t, m.Content.(mail.EmailChangeLink).Link), ""); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: stale, Password: "whoever's"}), apperr.TokenInvalid)
		last := f.Store.Outbox[len(f.Store.Outbox)-1]
		if n, ok := last.Content.(mail.EmailChangedNotice); !ok || last.To.Email != "ada@example.com" || n.MaskedNewEmail != "a***@n***.example" {
			t.Errorf("last mail = %s to %s (%+v), want the old address told", last.Kind(), last.To.Email, last.Content)
		}
	})
	t.Run("a reset link works only while the account has the address it was mailed to", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Active)
		link := f.resetLink(t)
		c, _ := f.Store.Customer(ctx, adaID)
		c.Email = "ada@moved.example" // moved by a path that left the link (none does today)
		f.Store.Put(c)
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: link, Password: "whoever's"}), apperr.TokenInvalid)
	})
}

// racing is a store on which another write lands between a change's read
// and its write, once.
type racing struct {
	*memstore.Store
	race func()
}

func (r *racing) Update(ctx context.Context, u account.Update) error {
	if r.race != nil {
		race := r.race
		r.race = nil
		race()
	}
	return r.Store.Update(ctx, u)
}

// TestAChangeRacingARecoveryLoses: a change allowed by a session (and a
// password) re-checks both when a conflict makes it read again, and its
// write holds only while its session exists, so it never writes back what
// a recovery replaced or revives a session it ended.
func TestAChangeRacingARecoveryLoses(t *testing.T) {
	ctx := context.Background()
	changes := []struct {
		name   string
		change func(svc *myaccount.Service, tok string) error
	}{
		{"a password change", func(svc *myaccount.Service, tok string) error {
			return svc.ChangePassword(ctx, tok, pw, "attacker's pick", "")
		}},
		{"an address change", func(svc *myaccount.Service, tok string) error {
			return svc.RequestEmailChange(ctx, tok, "mallory@evil.example", pw, "")
		}},
		{"an erasure", func(svc *myaccount.Service, tok string) error { return svc.Erase(ctx, tok, pw, "") }},
		{"a profile update", func(svc *myaccount.Service, tok string) error {
			_, err := svc.UpdateProfile(ctx, tok, myaccount.ProfilePatch{Fields: map[string]string{"firstName": "Mallory"}}, "")
			return err
		}},
	}
	recoveries := []struct {
		name string
		race func(t *testing.T, f *fixture, owner string) func()
	}{
		{"a reset", func(t *testing.T, f *fixture, _ string) func() {
			link := f.resetLink(t)
			return func() {
				if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: link, Password: "owner's new"}); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"a sign-out everywhere", func(t *testing.T, f *fixture, owner string) func() {
			return func() {
				if err := f.svc.SignOutEverywhere(ctx, owner, ""); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"a sign-out of the session itself", func(t *testing.T, f *fixture, _ string) func() {
			return nil // set below: it needs the attacker's token
		}},
	}
	for _, ch := range changes {
		for _, rc := range recoveries {
			t.Run(ch.name+" racing "+rc.name+" is refused and changes nothing", func(t *testing.T) {
				f := newFixture(t)
				f.ada(t, customer.Active)
				attacker, owner := f.session(t, pw), f.session(t, pw)
				race := rc.race(t, f, owner)
				if race == nil {
					race = func() {
						if err := f.Sessions.End(ctx, attacker, customer.Activity{Type: customer.ActivitySignedOut, At: f.Clock.Now()}); err != nil {
							t.Fatal(err)
						}
					}
				}
				st := &racing{Store: f.Store, race: race}
				svc := myaccount.New(myaccount.Deps{Settings: f.Settings, Store: st, Sessions: f.Sessions, Passwords: f.signIn,
					Hasher: f.Hasher, Random: rand.Reader, Now: f.Clock.Now, Log: f.Log})
				before, _ := f.Store.Customer(ctx, adaID)
				f.Clock.Advance(time.Millisecond)
				err := ch.change(svc, attacker)
				if code := apperr.CodeOf(err); code != apperr.Unauthenticated && code != apperr.InvalidCredentials {
					t.Fatalf("the change answered %v, want it refused", err)
				}
				after, _ := f.Store.Customer(ctx, adaID)
				if after.Status != customer.Active || after.Profile.FirstName != "Ada" || after.EmailChange != nil {
					t.Errorf("the account after the race: %+v", after)
				}
				switch rc.name {
				case "a reset":
					if after.PasswordHash == before.PasswordHash {
						t.Error("the reset's password is gone")
					}
				case "a sign-out everywhere":
					if after.SessionsValidFrom.IsZero() || after.PasswordHash != before.PasswordHash {
						t.Error("the sign-out's revocation is gone, or the password changed")
					}
				}
				if f.live(attacker) {
					t.Error("the attacker's session is alive")
				}
				for _, m := range f.Store.Outbox {
					if m.Kind() == myaccount.EmailChangeKind {
						t.Error("an address change was queued")
					}
				}
			})
		}
	}
}
