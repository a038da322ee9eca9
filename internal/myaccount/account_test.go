package myaccount_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/usecasetest"
	"github.com/openreg/registration/internal/vat"
)

const (
	adaID = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	pw    = "correct horse"
)

type fixture struct {
	*usecasetest.Env
	svc    *myaccount.Service
	links  *myaccount.Links
	signIn *signin.Service
}

func newFixture(t *testing.T, opts ...func(*settings.Settings)) *fixture {
	t.Helper()
	e := usecasetest.New(t, time.Hour, opts...)
	in := signin.New(signin.Deps{Settings: e.Settings, Store: e.Store, Sessions: e.Sessions, Hasher: e.Hasher, Random: rand.Reader,
		Now: e.Clock.Now, Log: e.Log})
	f := &fixture{Env: e, signIn: in}
	f.svc = myaccount.New(myaccount.Deps{Settings: e.Settings, Store: e.Store, Sessions: e.Sessions, Passwords: in, Hasher: e.Hasher,
		Random: rand.Reader, Now: e.Clock.Now, Log: e.Log})
	f.links = myaccount.NewLinks(e.Store, token.NewGenerator(rand.Reader), myaccount.Settings{ResetLifetime: time.Hour,
		EmailChangeLifetime: 24 * time.Hour, Interval: time.Minute}, "https://api.example.com", e.Clock.Now)
	return f
}

// ada stores Ada with status and the password pw.
func (f *fixture) ada(t *testing.T, status customer.Status) {
	t.Helper()
	hash, err := f.Hasher.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	c := customer.Customer{ID: adaID, StoreID: "default", Email: "ada@example.com", Status: status,
		PasswordHash: hash, Language: "en", Profile: customer.Profile{FirstName: "Ada", LastName: "Lovelace"},
		CreatedAt: f.Clock.Now(), UpdatedAt: f.Clock.Now()}
	if status == customer.Unverified {
		c.ExpiresAt = f.Clock.Now().Add(7 * 24 * time.Hour)
	}
	f.Store.Put(c)
}

// session signs Ada in with password.
func (f *fixture) session(t *testing.T, password string) string {
	t.Helper()
	f.Clock.Advance(time.Millisecond)
	res, err := f.signIn.SignIn(context.Background(), signin.Request{Login: "ada@example.com", Password: password, SourceIP: "10.0.0.1"})
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return res.Session.Token
}

func (f *fixture) live(tok string) bool {
	_, _, err := f.Sessions.Authenticate(context.Background(), tok)
	return err == nil
}

var wantCode = usecasetest.WantCode

// runJob runs the newest queued job of run's kind and returns its mail
// (false when none is due).
func runJob[T outbox.Content](t *testing.T, f *fixture, run func(context.Context, outbox.Message, T) (*outbox.Message, error)) (outbox.Message, bool) {
	t.Helper()
	for i := len(f.Store.Outbox) - 1; i >= 0; i-- {
		m := f.Store.Outbox[i]
		if c, ok := m.Content.(T); ok {
			out, err := run(context.Background(), m, c)
			if err != nil {
				t.Fatalf("run %s: %v", m.Kind(), err)
			}
			if out == nil {
				return outbox.Message{}, false
			}
			return *out, true
		}
	}
	var zero T
	t.Fatalf("no %s job queued", zero.Kind())
	return outbox.Message{}, false
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestSignOutEverywhereEndsEverySession(t *testing.T) {
	f := newFixture(t)
	f.ada(t, customer.Active)
	a, b := f.session(t, pw), f.session(t, pw)
	if err := f.svc.SignOutEverywhere(context.Background(), b, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if f.live(a) || f.live(b) {
		t.Errorf("sessions alive after signing out everywhere: %v %v", f.live(a), f.live(b))
	}
	if c := f.session(t, pw); !f.live(c) {
		t.Error("a session started afterwards is not alive")
	}
	wantCode(t, f.svc.SignOutEverywhere(context.Background(), "garbage", ""), apperr.Unauthenticated)
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name             string
		current, next    string
		want             apperr.Code
		otherSessionDies bool
	}{
		{"a wrong current password is refused like a failed sign-in", "wrong", "new password", apperr.InvalidCredentials, false},
		{"a new password under the policy is refused with its field", pw, "x", apperr.Validation, false},
		{"a missing current password is a field error", "", "new password", apperr.Validation, false},
		{"the right current password changes it and ends the other sessions", pw, "new password", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.ada(t, customer.Active)
			mine, other := f.session(t, pw), f.session(t, pw)
			err := f.svc.ChangePassword(context.Background(), mine, tt.current, tt.next, "10.0.0.1")
			if tt.want != "" {
				wantCode(t, err, tt.want)
			} else if err != nil {
				t.Fatal(err)
			}
			if !f.live(mine) {
				t.Error("the session that asked lost its session")
			}
			if f.live(other) == tt.otherSessionDies {
				t.Errorf("other session alive = %v", f.live(other))
			}
			if tt.want == "" {
				f.session(t, "new password")
				if got := f.Store.Outbox[len(f.Store.Outbox)-1]; got.Kind() != mail.PasswordChanged || got.To.Email != "ada@example.com" {
					t.Errorf("last mail = %+v, want the notice", got)
				}
			}
		})
	}
}

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	t.Run("an unknown address queues the same job and mails nothing", func(t *testing.T) {
		f := newFixture(t)
		if err := f.svc.RequestReset(ctx, "nobody@example.com", "", nil, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, due := runJob(t, f, f.links.Reset); due {
			t.Error("a mail is due for an unknown address")
		}
	})
	t.Run("a malformed address is a field error", func(t *testing.T) {
		f := newFixture(t)
		wantCode(t, f.svc.RequestReset(ctx, "not an address", "", nil, ""), apperr.Validation)
		if len(f.Store.Outbox) != 0 {
			t.Error("a refused request queued a job")
		}
	})
	t.Run("a link sets the password once, ends every session and verifies an unverified account", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Unverified)
		if err := f.svc.RequestReset(ctx, "Ada@Example.com", "", []string{"de"}, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		m, due := runJob(t, f, f.links.Reset)
		link, ok := m.Content.(mail.ResetLink)
		if !due || !ok || m.To.Email != "ada@example.com" {
			t.Fatalf("job mail = %+v, %v", m, due)
		}
		tok := tokenOf(t, link.Link)
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tok, Password: "x"}), apperr.Validation)
		if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tok, Password: "brand new"}); err != nil {
			t.Fatal(err)
		}
		c, _ := f.Store.Customer(ctx, adaID)
		if c.Status != customer.Active || c.EmailVerifiedAt.IsZero() || c.Reset != nil || !c.ExpiresAt.IsZero() {
			t.Errorf("after reset: status %s verified %v reset %v expires %v", c.Status, c.EmailVerifiedAt, c.Reset, c.ExpiresAt)
		}
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tok, Password: "again new"}), apperr.TokenInvalid)
		f.session(t, "brand new")
	})
	t.Run("a reset that verifies an anonymous registration keeps only the address", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Unverified)
		c, _ := f.Store.Customer(ctx, adaID)
		c.Newsletters, c.Attributes, c.ReturnURL = []string{"general"}, map[string]string{"shoe": "44"}, "/checkout"
		c.Addresses = []customer.Address{{ID: "a1", City: "Berlin"}}
		c.BillingAddressID, c.ShippingAddressID = "a1", "a1"
		f.Store.Put(c)
		f.Store.PutSubscription(customer.Subscription{ID: "3f9a2c1e-0000-4000-8000-00000000000a", StoreID: "default",
			Email: "ada@example.com", Type: "general", CreatedAt: f.Clock.Now(), UpdatedAt: f.Clock.Now(), ExpiresAt: c.ExpiresAt})
		f.Store.Consents = append(f.Store.Consents, customer.ConsentRecord{CustomerID: adaID, ConsentID: "terms", Agreed: true,
			Message: "I agree", At: f.Clock.Now()})
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		m, _ := runJob(t, f, f.links.Reset)
		if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tokenOf(t, m.Content.(mail.ResetLink).Link), Password: "brand new"}); err != nil {
			t.Fatal(err)
		}
		got, _ := f.Store.Customer(ctx, adaID)
		if got.Status != customer.Active || got.Email != "ada@example.com" || got.Profile != (customer.Profile{}) ||
			got.Attributes != nil || got.Newsletters != nil || got.Addresses != nil || got.BillingAddressID != "" || got.ReturnURL != "" {
			t.Errorf("after the reset: %+v, want the address only", got)
		}
		if subs, _ := f.Store.Subscriptions(ctx, "default", "ada@example.com"); len(subs) != 0 {
			t.Errorf("subscriptions %+v, want the registrant's waiting one gone", subs)
		}
		if r, _ := f.Store.Records(ctx, adaID); len(r.Consents) != 0 {
			t.Errorf("consent log %+v, want the registrant's entries gone", r.Consents)
		}
		for _, m := range f.Store.Outbox {
			if m.To.FirstName != "" {
				t.Errorf("%s mail greets %q, a name nobody proved", m.Kind(), m.To.FirstName)
			}
		}
	})
	t.Run("a reset that verifies an account an operator made keeps its data and starts its subscriptions", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Unverified)
		c, _ := f.Store.Customer(ctx, adaID)
		c.Newsletters, c.ByOperator = []string{"general"}, true
		f.Store.Put(c)
		f.Store.PutSubscription(customer.Subscription{ID: "3f9a2c1e-0000-4000-8000-00000000000a", StoreID: "default",
			Email: "ada@example.com", Type: "general", CreatedAt: f.Clock.Now(), UpdatedAt: f.Clock.Now(), ExpiresAt: c.ExpiresAt})
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		m, _ := runJob(t, f, f.links.Reset)
		if err := f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tokenOf(t, m.Content.(mail.ResetLink).Link), Password: "brand new"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Store.Customer(ctx, adaID); got.Profile.FirstName != "Ada" {
			t.Errorf("profile %+v, want the operator's kept", got.Profile)
		}
		subs, _ := f.Store.Subscriptions(ctx, "default", "ada@example.com")
		if len(subs) != 1 || !subs[0].Active || !subs[0].ExpiresAt.IsZero() {
			t.Fatalf("subscriptions %+v, want the waiting one active and kept", subs)
		}
	})
	t.Run("one mail per interval, a newer link voids the older, links expire", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Active)
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		first, _ := runJob(t, f, f.links.Reset)
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		if _, due := runJob(t, f, f.links.Reset); due {
			t.Error("a second mail within the interval")
		}
		f.Clock.Advance(2 * time.Minute)
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		second, _ := runJob(t, f, f.links.Reset)
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tokenOf(t, first.Content.(mail.ResetLink).Link), Password: "brand new"}), apperr.TokenInvalid)
		f.Clock.Advance(time.Hour)
		wantCode(t, f.svc.ResetPassword(ctx, myaccount.ResetRequest{Token: tokenOf(t, second.Content.(mail.ResetLink).Link), Password: "brand new"}), apperr.TokenExpired)
	})
	t.Run("a deactivated account gets no link", func(t *testing.T) {
		f := newFixture(t)
		f.ada(t, customer.Deactivated)
		_ = f.svc.RequestReset(ctx, "ada@example.com", "", nil, "")
		if _, due := runJob(t, f, f.links.Reset); due {
			t.Error("a deactivated account got a reset link")
		}
	})
}

func TestEmailChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.ada(t, customer.Active)
	tok := f.session(t, pw)
	wantCode(t, f.svc.RequestEmailChange(ctx, tok, "ada@example.com", pw, ""), apperr.Validation)
	wantCode(t, f.svc.RequestEmailChange(ctx, tok, "new@example.org", "wrong", ""), apperr.InvalidCredentials)
	// The old address bounced; the new one once did too.
	c, _ := f.Store.Customer(ctx, adaID)
	bounced := c
	bounced.EmailStatus = customer.EmailBounced
	if err := f.Store.Update(ctx, account.Update{Before: c, After: bounced}); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.Suppress(ctx, "new@example.org", "bounced", f.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RequestEmailChange(ctx, tok, "New@Example.org", pw, ""); err != nil {
		t.Fatal(err)
	}
	notice := f.Store.Outbox[len(f.Store.Outbox)-1]
	if w, ok := notice.Content.(mail.EmailChangeWarning); !ok || notice.To.Email != "ada@example.com" || w.MaskedNewEmail != "N***@E***.org" {
		t.Errorf("notice = %+v", notice)
	}
	m, due := runJob(t, f, f.links.ChangeEmail)
	if !due || m.To.Email != "New@Example.org" {
		t.Fatalf("link mail = %+v", m)
	}
	if v, err := f.Store.Login(ctx, "email", "ada@example.com"); err != nil || v.ID != adaID {
		t.Errorf("the old address before confirmation: %v", err)
	}
	email, err := f.svc.ConfirmEmailChange(ctx, tokenOf(t, m.Content.(mail.EmailChangeLink).Link), "")
	if err != nil || email != "New@Example.org" {
		t.Fatalf("confirm = %q, %v", email, err)
	}
	if _, err := f.Store.Login(ctx, "email", "ada@example.com"); err == nil {
		t.Error("the old address still signs in")
	}
	if v, err := f.Store.Login(ctx, "email", "new@example.org"); err != nil || v.ID != adaID {
		t.Errorf("the new address: %v", err)
	}
	if c, _ := f.Store.Customer(ctx, adaID); c.Undeliverable() {
		t.Errorf("after the change the account's mail is still %q, want deliverable", c.EmailStatus)
	}
	if s, _ := f.Store.Suppressed(ctx, "new@example.org"); s {
		t.Error("the link reached the new address, and it is still suppressed")
	}
	_, err = f.svc.ConfirmEmailChange(ctx, tokenOf(t, m.Content.(mail.EmailChangeLink).Link), "")
	wantCode(t, err, apperr.TokenInvalid)
}

func TestEraseLeavesATombstoneAndFreesTheAddress(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.ada(t, customer.Active)
	tok := f.session(t, pw)
	wantCode(t, f.svc.Erase(ctx, tok, "", ""), apperr.Validation)
	wantCode(t, f.svc.Erase(ctx, tok, "wrong", ""), apperr.InvalidCredentials)
	if err := f.svc.Erase(ctx, tok, pw, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	c, _ := f.Store.Customer(ctx, adaID)
	if c.Status != customer.Deleted || c.Email != "" || c.PasswordHash != "" || c.Profile != (customer.Profile{}) {
		t.Errorf("tombstone = %+v", c)
	}
	if _, err := f.Store.Login(ctx, "email", "ada@example.com"); err == nil {
		t.Error("the erased address still signs in")
	}
	if _, err := f.svc.Export(ctx, tok); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("export after erasure: %v", err)
	}
	if _, due := runJob(t, f, f.links.Sweep); due {
		t.Error("the sweep mailed something")
	}
	r, _ := f.Store.Records(ctx, adaID)
	if len(r.Activity) != 0 || len(r.Sessions) != 0 {
		t.Errorf("after the sweep: %+v", r)
	}
}

func TestUpdateProfileFollowsTheRegistrationRules(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		patch myaccount.ProfilePatch
		want  apperr.Code
	}{
		{"a first name is set", myaccount.ProfilePatch{Fields: map[string]string{"firstName": "Augusta"}}, ""},
		{"a name with digits is refused", myaccount.ProfilePatch{Fields: map[string]string{"firstName": "R2D2"}}, apperr.Validation},
		{"an unknown field is refused", myaccount.ProfilePatch{Fields: map[string]string{"shoeSize": "42"}}, apperr.Validation},
		{"an unknown newsletter is refused", myaccount.ProfilePatch{Newsletters: &[]string{"nope"}}, apperr.Validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.ada(t, customer.Active)
			c, err := f.svc.UpdateProfile(ctx, f.session(t, pw), tt.patch, "")
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil || c.Profile.FirstName != "Augusta" {
				t.Fatalf("UpdateProfile = %+v, %v", c.Profile, err)
			}
		})
	}
}

func TestUpdateVatNumber(t *testing.T) {
	ctx := context.Background()
	euVat := func(s *settings.Settings) {
		s.Fields[settings.VatNumber] = settings.Field{Enabled: true}
		s.Vat.EUVat = true
	}
	jobs := func(f *fixture) []vat.CheckJob {
		var out []vat.CheckJob
		for _, m := range f.Store.Outbox {
			if j, ok := m.Content.(vat.CheckJob); ok {
				out = append(out, j)
			}
		}
		return out
	}
	f := newFixture(t, euVat)
	f.ada(t, customer.Active)
	tok := f.session(t, pw)
	set := func(n string) customer.Customer {
		t.Helper()
		c, err := f.svc.UpdateProfile(ctx, tok, myaccount.ProfilePatch{Fields: map[string]string{"vatNumber": n}}, "")
		if err != nil {
			t.Fatalf("UpdateProfile(%q): %v", n, err)
		}
		return c
	}
	if c := set("nl 123456789 b01"); c.Vat == nil || c.Vat.Number != "NL123456789B01" || c.Vat.Status != customer.VatUnknown || len(jobs(f)) != 1 {
		t.Fatalf("a new number: check %+v, jobs %+v", c.Vat, jobs(f))
	}
	if c := set("NL123456789B01"); len(jobs(f)) != 1 || c.Vat == nil {
		t.Fatalf("the same number again starts no check: jobs %+v", jobs(f))
	}
	if c := set(""); c.Vat != nil || len(jobs(f)) != 1 {
		t.Fatalf("a cleared number keeps no check: %+v", c.Vat)
	}
	_, err := f.svc.UpdateProfile(ctx, tok, myaccount.ProfilePatch{Fields: map[string]string{"vatNumber": "NL123"}}, "")
	wantCode(t, err, apperr.Validation)
}
