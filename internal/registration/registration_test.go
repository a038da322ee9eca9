package registration_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/token"
)

var ctx = context.Background()

// wantCode fails the test unless err carries the wanted code.
func wantCode(t *testing.T, err error, want apperr.Code) *apperr.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	e := apperr.As(err)
	if e.Code != want {
		t.Fatalf("got error code %s (%v), want %s", e.Code, err, want)
	}
	return e
}

// onlyVerification returns the one stored verification token.
func onlyVerification(t *testing.T, f *fixture) registration.Verification {
	t.Helper()
	if len(f.store.verifications) != 1 {
		t.Fatalf("got %d verification tokens, want 1", len(f.store.verifications))
	}
	for _, v := range f.store.verifications {
		return v
	}
	panic("unreachable")
}

// verificationMail checks that the store's outbox holds exactly one
// email_validation mail for c whose link names v, and returns it.
func verificationMail(t *testing.T, f *fixture, c customer.Customer, v registration.Verification) mail.Message {
	t.Helper()
	if len(f.store.outbox) != 1 {
		t.Fatalf("got %d mails in the outbox, want 1", len(f.store.outbox))
	}
	m := f.store.outbox[0]
	if m.Kind != mail.EmailValidation {
		t.Errorf("got mail kind %q, want %q", m.Kind, mail.EmailValidation)
	}
	prefix := publicAPI + "/v1/verify-email?token="
	if !strings.HasPrefix(m.Link, prefix) {
		t.Fatalf("got link %q, want it to start with %q", m.Link, prefix)
	}
	plain, err := url.QueryUnescape(strings.TrimPrefix(m.Link, prefix))
	if err != nil {
		t.Fatal(err)
	}
	if !token.WellFormed(plain) || token.Digest(plain) != v.Digest {
		t.Errorf("got link token %q, want the token whose digest is stored", plain)
	}
	if m.To != c.Email || m.CustomerID != c.ID || m.StoreID != c.StoreID || m.Language != c.Language || m.FirstName != c.Profile.FirstName {
		t.Errorf("got mail %+v, want it addressed to customer %+v", m, c)
	}
	if !m.ExpiresAt.Equal(v.ExpiresAt) || !m.CreatedAt.Equal(now) || m.ID == "" {
		t.Errorf("got mail id %q expiry %v created %v, want an id, expiry %v and created %v", m.ID, m.ExpiresAt, m.CreatedAt, v.ExpiresAt, now)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("got a mail the mailer refuses: %v", err)
	}
	return m
}

func TestRegisterByType(t *testing.T) {
	tests := []struct {
		name             string
		regType          settings.RegistrationType
		wantOutcome      registration.Outcome
		wantStatus       customer.Status
		wantApproval     bool
		wantVerification bool
		wantSession      bool
	}{
		{"Standard registration signs the active customer in and mails nothing",
			settings.Standard, registration.SignedIn, customer.Active, false, false, true},
		{"EmailValidation registration stores an unverified customer and mails a verification link",
			settings.EmailValidation, registration.PendingVerification, customer.Unverified, false, true, false},
		{"AdminApproval registration stores an unverified customer needing approval and mails a verification link",
			settings.AdminApproval, registration.PendingApproval, customer.Unverified, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, withType(tt.regType))
			res := f.register(t, validRequest())
			c := f.onlyCustomer(t)

			if res.Outcome != tt.wantOutcome {
				t.Errorf("got outcome %q, want %q", res.Outcome, tt.wantOutcome)
			}
			if c.Status != tt.wantStatus {
				t.Errorf("got status %q, want %q", c.Status, tt.wantStatus)
			}
			if c.RequiresApproval != tt.wantApproval {
				t.Errorf("got RequiresApproval %v, want %v", c.RequiresApproval, tt.wantApproval)
			}
			if res.Redirect != "/" || res.SignedOut {
				t.Errorf("got redirect %q signedOut %v, want \"/\" and false", res.Redirect, res.SignedOut)
			}

			if tt.wantSession {
				if res.CustomerID != c.ID {
					t.Errorf("got customer id %q, want %q", res.CustomerID, c.ID)
				}
				if res.Session == nil {
					t.Fatal("got no session, want one")
				}
				sess, err := f.mgr.Authenticate(ctx, res.Session.Token)
				if err != nil || sess.CustomerID != c.ID {
					t.Errorf("got session %+v, %v; want a live session of %s", sess, err, c.ID)
				}
				if want := now.Add(time.Duration(f.settings.SessionLifetime)); !res.Session.ExpiresAt.Equal(want) {
					t.Errorf("got session expiry %v, want %v", res.Session.ExpiresAt, want)
				}
			} else {
				if res.CustomerID != "" || res.Session != nil {
					t.Errorf("got customer id %q and session %v, want neither in a 202 answer", res.CustomerID, res.Session)
				}
				if len(f.sessions.sessions) != 0 {
					t.Errorf("got %d sessions stored, want none", len(f.sessions.sessions))
				}
			}

			if !tt.wantVerification {
				if len(f.store.verifications) != 0 {
					t.Errorf("got %d verification tokens, want none", len(f.store.verifications))
				}
				// Standard: the only mail is the welcome, stored with the
				// account and flushed.
				if len(f.store.outbox) != 1 || f.store.outbox[0].Kind != mail.Welcome || f.store.outbox[0].To != c.Email ||
					len(f.outbox.flushed()) != 1 {
					t.Errorf("got outbox %+v and flushed %+v, want one welcome mail", f.store.outbox, f.outbox.flushed())
				}
				return
			}
			v := onlyVerification(t, f)
			wantV := registration.Verification{Digest: v.Digest, CustomerID: c.ID,
				ExpiresAt: now.Add(time.Duration(f.settings.VerificationTokenLifetime)), CreatedAt: now}
			if v != wantV {
				t.Errorf("got verification %+v, want %+v", v, wantV)
			}
			m := verificationMail(t, f, c, v)
			if got := f.outbox.flushed(); len(got) != 1 || got[0] != m {
				t.Errorf("got flushed %+v, want the stored mail %+v", got, m)
			}
		})
	}

	t.Run("Disabled registration is refused and stores nothing", func(t *testing.T) {
		f := newFixture(t, withType(settings.Disabled))
		_, err := f.svc.Register(ctx, validRequest())
		wantCode(t, err, apperr.RegistrationDisabled)
		f.nothingStored(t)
		if f.store.createCalls != 0 {
			t.Errorf("got %d CreateAccount calls, want none", f.store.createCalls)
		}
	})

	t.Run("Disabled registration is refused even for an invalid request", func(t *testing.T) {
		f := newFixture(t, withType(settings.Disabled))
		_, err := f.svc.Register(ctx, registration.Request{})
		wantCode(t, err, apperr.RegistrationDisabled)
	})

	t.Run("the verification expiry follows the configured token lifetime", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.VerificationTokenLifetime = settings.Duration(2 * time.Hour) })
		f.register(t, validRequest())
		if got, want := onlyVerification(t, f).ExpiresAt, now.Add(2*time.Hour); !got.Equal(want) {
			t.Errorf("got expiry %v, want %v", got, want)
		}
	})
}

func TestRegisterStoresTheCustomer(t *testing.T) {
	t.Run("the stored customer holds the cleaned request", func(t *testing.T) {
		f := newFixture(t)
		req := validRequest()
		req.Email = "  Ada@Example.com "
		req.Profile.FirstName = "  Ada "
		req.Profile.Company = " Analytical Engines Ltd "
		req.Newsletters = []string{"general"}
		req.Language = []string{"fr-FR", "de-DE"}
		f.register(t, req)
		c := f.onlyCustomer(t)

		if c.Email != "Ada@Example.com" {
			t.Errorf("got email %q, want it trimmed but as entered", c.Email)
		}
		if id := f.store.emailKeys["ada@example.com"]; id != c.ID {
			t.Errorf("got email keys %v, want ada@example.com to own %s", f.store.emailKeys, c.ID)
		}
		want := customer.Profile{FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines Ltd"}
		if c.Profile != want {
			t.Errorf("got profile %+v, want %+v", c.Profile, want)
		}
		if c.Language != "de" {
			t.Errorf("got language %q, want de (the first supported preference)", c.Language)
		}
		if c.StoreID != "default" {
			t.Errorf("got store %q, want the default store", c.StoreID)
		}
		if !slices.Equal(c.Newsletters, []string{"general"}) {
			t.Errorf("got newsletters %v, want [general]", c.Newsletters)
		}
		if !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(now) {
			t.Errorf("got created %v updated %v, want both %v", c.CreatedAt, c.UpdatedAt, now)
		}
		ok, rehash, err := f.hasher.Verify(req.Password, c.PasswordHash)
		if err != nil || !ok || rehash {
			t.Errorf("got stored hash verifying ok=%v rehash=%v err=%v, want a current hash of the password", ok, rehash, err)
		}
		if strings.Contains(c.PasswordHash, req.Password) {
			t.Error("got the password in clear in the stored hash")
		}
		if f.store.usernameKeys[""] != "" || len(f.store.usernameKeys) != 0 {
			t.Errorf("got username keys %v, want none with usernames off", f.store.usernameKeys)
		}
		wantAct := customer.Activity{CustomerID: c.ID, Type: customer.ActivityRegistered, At: now}
		if len(f.store.activities) != 1 || f.store.activities[0].CustomerID != wantAct.CustomerID ||
			f.store.activities[0].Type != wantAct.Type || !f.store.activities[0].At.Equal(now) ||
			f.store.activities[0].Detail["sourceIp"] != "192.0.2.7" || f.store.activities[0].Detail["store"] != "default" {
			t.Errorf("got activities %+v, want one registered entry for %s", f.store.activities, c.ID)
		}
	})

	tests := []struct {
		name      string
		storeID   string
		wantStore string
	}{
		{"a request without store id registers in the default store", "", "default"},
		{"a request with a store id registers in that store", "berlin", "berlin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := validRequest()
			req.StoreID = tt.storeID
			f.register(t, req)
			if got := f.onlyCustomer(t).StoreID; got != tt.wantStore {
				t.Errorf("got store %q, want %q", got, tt.wantStore)
			}
			if got := f.store.outbox[0].StoreID; got != tt.wantStore {
				t.Errorf("got mail store %q, want %q", got, tt.wantStore)
			}
		})
	}

	t.Run("with usernames on the username is stored and its key normalised", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.UsernamesEnabled = true })
		req := validRequest()
		req.Username = " Ada_L "
		f.register(t, req)
		c := f.onlyCustomer(t)
		if c.Username != "Ada_L" {
			t.Errorf("got username %q, want Ada_L", c.Username)
		}
		if id := f.store.usernameKeys["ada_l"]; id != c.ID {
			t.Errorf("got username keys %v, want ada_l to own %s", f.store.usernameKeys, c.ID)
		}
	})

	t.Run("two registrations get different customer ids and tokens", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, validRequest())
		req := validRequest()
		req.Email = "grace@example.com"
		f.register(t, req)
		if len(f.store.customers) != 2 || len(f.store.verifications) != 2 {
			t.Errorf("got %d customers and %d tokens, want 2 of each", len(f.store.customers), len(f.store.verifications))
		}
	})
}

func TestRegisterExistingEmail(t *testing.T) {
	t.Run("Standard answers email_taken for a differently spelt address and stores nothing new", func(t *testing.T) {
		f := newFixture(t, withType(settings.Standard))
		first := validRequest()
		first.Email = " Ada@Example.com "
		f.register(t, first)
		owner := f.onlyCustomer(t)
		sessions := len(f.sessions.sessions)

		again := validRequest()
		again.Email = "ada@example.com"
		again.Profile.FirstName = "Eve"
		_, err := f.svc.Register(ctx, again)
		wantCode(t, err, apperr.EmailTaken)

		if c := f.onlyCustomer(t); c.ID != owner.ID || c.Profile.FirstName != "Ada" {
			t.Errorf("got customer %+v, want the first one untouched", c)
		}
		if len(f.sessions.sessions) != sessions {
			t.Errorf("got %d sessions, want %d (no session for the refused registration)", len(f.sessions.sessions), sessions)
		}
		if len(f.store.outbox) != 1 || len(f.store.attempts) != 0 {
			t.Errorf("got outbox %+v and attempts %+v, want only the first account's welcome", f.store.outbox, f.store.attempts)
		}
	})

	for _, rt := range []settings.RegistrationType{settings.EmailValidation, settings.AdminApproval} {
		t.Run(string(rt)+" answers an existing address exactly like a new one and mails its owner", func(t *testing.T) {
			f := newFixture(t, withType(rt))
			first := validRequest()
			first.Email = " Ada@Example.com "
			first.Language = []string{"de"}
			first.ReturnURL = "/welcome"
			fresh := f.register(t, first)
			owner := f.onlyCustomer(t)
			sessionToken := f.startSession(t)
			f.outbox.flushes = nil
			f.store.outbox = nil

			again := validRequest()
			again.Email = "ADA@example.com"
			again.Profile.FirstName = "Eve"
			again.Language = []string{"en"}
			again.ReturnURL = "/welcome"
			again.SourceIP = "198.51.100.9"
			dup := f.register(t, again)

			// A fresh registration of another address, carrying a session
			// like the duplicate below, must answer the same too.
			other := validRequest()
			other.Email = "grace@example.com"
			other.ReturnURL = "/welcome"
			other.SessionToken = f.startSession(t)
			again.SessionToken = sessionToken
			dupSignedOut := f.register(t, again)
			freshSignedOut := f.register(t, other)

			if dup != fresh {
				t.Errorf("got %+v for the existing address, want the fresh answer %+v", dup, fresh)
			}
			if dupSignedOut != freshSignedOut {
				t.Errorf("got %+v for the existing address with a session, want the fresh answer %+v", dupSignedOut, freshSignedOut)
			}
			if len(f.store.customers) != 2 {
				t.Errorf("got %d customers, want 2 (ada and grace, no second ada)", len(f.store.customers))
			}
			if f.store.customers[owner.ID].Profile.FirstName != "Ada" {
				t.Errorf("got owner %+v, want it untouched", f.store.customers[owner.ID])
			}

			// Two attempts on ada's address, one registration of grace. The
			// request looks nothing up: it stores a job for the mailer.
			if len(f.store.attempts) != 2 {
				t.Fatalf("got %d recorded attempts, want 2", len(f.store.attempts))
			}
			job := f.store.attempts[0]
			if job.Kind != mail.RegistrationAttempt || job.To != "ADA@example.com" || job.SourceIP != "198.51.100.9" ||
				job.CustomerID != "" || job.FirstName != "" || job.ID == "" {
				t.Errorf("got job %+v, want a registration_attempt job for the address as entered", job)
			}
			if err := job.Validate(); err != nil {
				t.Errorf("got a job the mailer refuses: %v", err)
			}
			for _, m := range f.store.outbox {
				if m.Kind == mail.AccountExists {
					t.Errorf("the request prepared the owner's mail itself: %+v", m)
				}
			}
			if got := f.outbox.flushed(); !slices.Contains(got, job) {
				t.Errorf("got flushed %+v, want it to include the job", got)
			}
			if f.sessionLive(sessionToken) {
				t.Error("got the request's session still live, want it revoked")
			}
		})
	}
}

func TestRegisterUsernameTaken(t *testing.T) {
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation, settings.AdminApproval} {
		t.Run(string(rt)+" answers username_taken for a username in use in another spelling", func(t *testing.T) {
			f := newFixture(t, withType(rt), func(s *settings.Settings) { s.UsernamesEnabled = true })
			first := validRequest()
			first.Username = "Ada_L"
			f.register(t, first)
			outbox := len(f.store.outbox)

			again := validRequest()
			again.Email = "grace@example.com"
			again.Username = " ada_l "
			_, err := f.svc.Register(ctx, again)
			e := wantCode(t, err, apperr.UsernameTaken)
			if len(e.Fields) != 1 || e.Fields[0].Field != "username" || e.Fields[0].Code != string(apperr.UsernameTaken) {
				t.Errorf("got fields %+v, want one username_taken problem with the username", e.Fields)
			}
			f.onlyCustomer(t)
			if len(f.store.outbox) != outbox {
				t.Errorf("got %d mails, want %d (none for the refused registration)", len(f.store.outbox), outbox)
			}
		})
	}
}

func TestRegisterSignsOutTheRequestSession(t *testing.T) {
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation} {
		t.Run(string(rt)+" registration revokes the session the request carried", func(t *testing.T) {
			f := newFixture(t, withType(rt))
			old := f.startSession(t)
			req := validRequest()
			req.SessionToken = old
			res := f.register(t, req)
			if !res.SignedOut {
				t.Error("got SignedOut false, want true")
			}
			if f.sessionLive(old) {
				t.Error("got the request's session still live, want it revoked")
			}
			if len(f.sessions.deletes) != 1 || f.sessions.deletes[0] != token.Digest(old) {
				t.Errorf("got session deletes %v, want the request's session", f.sessions.deletes)
			}
		})
	}

	t.Run("a request without a session signs nobody out", func(t *testing.T) {
		f := newFixture(t)
		other := f.startSession(t)
		res := f.register(t, validRequest())
		if res.SignedOut {
			t.Error("got SignedOut true, want false")
		}
		if !f.sessionLive(other) || len(f.sessions.deletes) != 0 {
			t.Errorf("got deletes %v, want no session touched", f.sessions.deletes)
		}
	})

	t.Run("a Standard registration signs the new customer in after signing the old one out", func(t *testing.T) {
		f := newFixture(t, withType(settings.Standard))
		old := f.startSession(t)
		req := validRequest()
		req.SessionToken = old
		res := f.register(t, req)
		if res.Session == nil || !f.sessionLive(res.Session.Token) {
			t.Fatal("got no live session for the new customer")
		}
		if res.Session.Token == old {
			t.Error("got the old session token back, want a new one")
		}
	})
}

func TestRegisterRedirect(t *testing.T) {
	tests := []struct {
		name      string
		returnURL string
		want      string
	}{
		{"a local path is kept", "/cart", "/cart"},
		{"a protocol-relative URL becomes /", "//evil.example", "/"},
		{"a backslash URL becomes /", `/\evil.example`, "/"},
		{"an absolute URL becomes /", "https://evil.example/cart", "/"},
		{"a javascript URL becomes /", "javascript:alert(1)", "/"},
		{"no return URL becomes /", "", "/"},
	}
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation} {
		for _, tt := range tests {
			t.Run(string(rt)+": "+tt.name, func(t *testing.T) {
				f := newFixture(t, withType(rt))
				req := validRequest()
				req.ReturnURL = tt.returnURL
				if got := f.register(t, req).Redirect; got != tt.want {
					t.Errorf("got redirect %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestRegisterConsentLog(t *testing.T) {
	terms := settings.Consent{ID: "terms", Message: "I accept the terms of sale.", Required: true}
	offers := settings.Consent{ID: "offers", Message: "Send me personal offers.", Required: false}
	withConsents := func(s *settings.Settings) { s.Consents = []settings.Consent{terms, offers} }
	withPrivacy := func(s *settings.Settings) { s.AcceptPrivacyPolicy = true }

	type rec struct {
		id      string
		agreed  bool
		message string
	}
	tests := []struct {
		name    string
		opts    []func(*settings.Settings)
		change  func(r *registration.Request)
		wantLog []rec
	}{
		{"without consents, privacy policy or newsletters nothing is logged",
			nil, func(*registration.Request) {}, nil},
		{"every configured consent is logged with the answer and the message shown",
			[]func(*settings.Settings){withConsents},
			func(r *registration.Request) { r.Consents = map[string]bool{"terms": true} },
			[]rec{{"terms", true, terms.Message}, {"offers", false, offers.Message}}},
		{"an optional consent given is logged as agreed",
			[]func(*settings.Settings){withConsents},
			func(r *registration.Request) { r.Consents = map[string]bool{"terms": true, "offers": true} },
			[]rec{{"terms", true, terms.Message}, {"offers", true, offers.Message}}},
		{"an optional consent refused explicitly is logged as not agreed",
			[]func(*settings.Settings){withConsents},
			func(r *registration.Request) { r.Consents = map[string]bool{"terms": true, "offers": false} },
			[]rec{{"terms", true, terms.Message}, {"offers", false, offers.Message}}},
		{"an accepted privacy policy is logged",
			[]func(*settings.Settings){withPrivacy},
			func(r *registration.Request) { r.AcceptPrivacyPolicy = ptr(true) },
			[]rec{{customer.PrivacyPolicyConsentID, true, "Privacy policy accepted at registration."}}},
		{"a privacy policy the store does not show is not logged",
			nil,
			func(r *registration.Request) { r.AcceptPrivacyPolicy = ptr(true) },
			nil},
		{"a newsletter subscription is logged",
			nil,
			func(r *registration.Request) { r.Newsletters = []string{"general"} },
			[]rec{{customer.NewsletterConsentID, true, "Newsletter subscription at registration."}}},
		{"everything together is logged together",
			[]func(*settings.Settings){withConsents, withPrivacy},
			func(r *registration.Request) {
				r.Consents = map[string]bool{"terms": true}
				r.AcceptPrivacyPolicy = ptr(true)
				r.Newsletters = []string{"general"}
			},
			[]rec{
				{customer.PrivacyPolicyConsentID, true, "Privacy policy accepted at registration."},
				{customer.NewsletterConsentID, true, "Newsletter subscription at registration."},
				{"terms", true, terms.Message}, {"offers", false, offers.Message},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts...)
			req := validRequest()
			tt.change(&req)
			f.register(t, req)
			c := f.onlyCustomer(t)

			var got []rec
			for _, r := range f.store.consents {
				got = append(got, rec{r.ConsentID, r.Agreed, r.Message})
				if r.CustomerID != c.ID || !r.At.Equal(now) {
					t.Errorf("got record %+v, want it for %s at %v", r, c.ID, now)
				}
			}
			sortRecs := func(rs []rec) {
				slices.SortFunc(rs, func(a, b rec) int { return strings.Compare(a.id, b.id) })
			}
			want := slices.Clone(tt.wantLog)
			sortRecs(got)
			sortRecs(want)
			if !slices.Equal(got, want) {
				t.Errorf("got consent log %+v, want %+v", got, want)
			}
		})
	}
}

func TestRegisterStoreFailures(t *testing.T) {
	down := apperr.New(apperr.Unavailable, "database down")
	tests := []struct {
		name    string
		regType settings.RegistrationType
		// existing registers the address first, so the duplicate path runs.
		existing bool
		fail     func(s *fakeStore)
	}{
		{"a failed account write in Standard is returned", settings.Standard, false,
			func(s *fakeStore) { s.createErr = down }},
		{"a failed account write in EmailValidation is returned", settings.EmailValidation, false,
			func(s *fakeStore) { s.createErr = down }},
		{"a failed attempt record on an existing address is returned", settings.EmailValidation, true,
			func(s *fakeStore) { s.recordErr = down }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" and nothing is flushed", func(t *testing.T) {
			f := newFixture(t, withType(tt.regType))
			if tt.existing {
				f.register(t, validRequest())
			}
			f.outbox.flushes = nil
			tt.fail(f.store)

			res, err := f.svc.Register(ctx, validRequest())
			wantCode(t, err, apperr.Unavailable)
			if res != (registration.Result{}) {
				t.Errorf("got result %+v alongside the error, want the zero result", res)
			}
			if len(f.outbox.flushes) != 0 {
				t.Errorf("got %d Flush calls, want none", len(f.outbox.flushes))
			}
		})
	}
}

func TestRegisterNotifiesTheStoreOwner(t *testing.T) {
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation, settings.AdminApproval} {
		t.Run(string(rt)+" registration tells the store owner in the owner's language", func(t *testing.T) {
			f := newFixture(t, withType(rt), func(s *settings.Settings) {
				s.NotifyStoreOwner, s.StoreOwnerEmail, s.StoreOwnerLanguage = true, "owner@shop.example", "de"
			})
			req := validRequest()
			req.Profile.Company = "Analytical Engines"
			f.register(t, req)
			c := f.onlyCustomer(t)
			var notes []mail.Message
			for _, m := range f.store.outbox {
				if m.Kind == mail.StoreOwnerNewCustomer {
					notes = append(notes, m)
				}
			}
			if len(notes) != 1 {
				t.Fatalf("got %d owner notes in %+v, want 1", len(notes), f.store.outbox)
			}
			n := notes[0]
			if n.To != "owner@shop.example" || n.Language != "de" || n.About == nil || n.About.Email != c.Email ||
				n.About.Company != "Analytical Engines" || n.About.RegistrationType != string(rt) {
				t.Errorf("got note %+v about %+v", n, n.About)
			}
		})
	}
	t.Run("no note when the settings do not ask for one", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, validRequest())
		for _, m := range f.store.outbox {
			if m.Kind == mail.StoreOwnerNewCustomer {
				t.Errorf("got an owner note: %+v", m)
			}
		}
	})
}
