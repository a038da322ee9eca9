package registration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/settings"
)

func TestDoubleOptIn(t *testing.T) {
	t.Run("a registration stores a pending registration and the job that completes it, and tells nothing", func(t *testing.T) {
		f := newFixture(t)
		res := f.register(t, validRequest())
		if res.Outcome != registration.PendingVerification || res.CustomerID != "" || res.Session != nil {
			t.Fatalf("got %+v, want pending_verification without a customer id or session", res)
		}
		_, ps := f.store.Stored()
		if len(ps) != 1 {
			t.Fatalf("got %d pending registrations, want 1", len(ps))
		}
		p := ps[0]
		if p.EmailKey != "ada@example.com" || !strings.HasPrefix(p.PasswordHash, "$argon2id$") || p.Language != "en" ||
			!p.ExpiresAt.Equal(now.Add(time.Duration(f.settings.UnverifiedAccountLifetime))) {
			t.Errorf("pending = %+v", p)
		}
		if ok, _, _ := f.hasher.Verify("analytical engine", p.PasswordHash); !ok {
			t.Error("the stored hash does not verify the password")
		}
		if got := f.store.Outbox; len(got) != 1 || got[0].Content != (registration.CompleteJob{RegistrationID: p.ID, StoreID: p.StoreID}) {
			t.Errorf("outbox = %+v, want the completion job, without a link", got)
		}
	})

	t.Run("a taken address is answered and stored exactly like a new one", func(t *testing.T) {
		f := newFixture(t)
		f.store.Put(customer.Customer{ID: "a6b1c2d3-0000-4000-8000-000000000001", Email: "ada@example.com", Status: customer.Active})
		res := f.register(t, validRequest())
		if res.Outcome != registration.PendingVerification {
			t.Errorf("got %+v", res)
		}
		if _, ps := f.store.Stored(); len(ps) != 1 || len(f.store.Outbox) != 1 {
			t.Errorf("got %d pending and %d jobs, want one of each (the mailer decides later)", len(ps), len(f.store.Outbox))
		}
	})

	t.Run("under approval the answer says so", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.RegistrationType = settings.AdminApproval })
		if res := f.register(t, validRequest()); res.Outcome != registration.PendingApproval {
			t.Errorf("got %+v, want pending_approval", res)
		}
	})

	t.Run("a reserved username is refused whatever the address", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.UsernamesEnabled = true })
		first := validRequest()
		first.Username = "ada"
		f.register(t, first)
		second := validRequest()
		second.Email, second.Username = "other@example.com", "ADA"
		_, err := f.svc.Register(ctx, second)
		e := wantCode(t, err, apperr.UsernameTaken)
		if len(e.Fields) != 1 || e.Fields[0].Field != "username" {
			t.Errorf("fields = %+v", e.Fields)
		}
	})

	t.Run("registering signs the request's customer out in the same write", func(t *testing.T) {
		f := newFixture(t)
		sess := f.startSession(t)
		req := validRequest()
		req.SessionToken = sess
		if res := f.register(t, req); !res.SignedOut {
			t.Errorf("got %+v, want SignedOut", res)
		}
		if f.sessionLive(sess) {
			t.Error("the request's session is still live")
		}
	})

	t.Run("the per-client limit refuses with Retry-After and stores nothing", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) {
			s.ClientLimits.Register = settings.Limit{Max: 1, Window: settings.Duration(time.Hour)}
		})
		f.register(t, validRequest())
		second := validRequest()
		second.Email = "two@example.com"
		_, err := f.svc.Register(ctx, second)
		if e := wantCode(t, err, apperr.TooManyRequests); e.RetryAfter <= 0 {
			t.Errorf("Retry-After = %v", e.RetryAfter)
		}
		if _, ps := f.store.Stored(); len(ps) != 1 {
			t.Errorf("got %d pending registrations, want only the first", len(ps))
		}
	})

	t.Run("a closed registration is refused and stores nothing", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.RegistrationType = settings.Disabled })
		_, err := f.svc.Register(ctx, validRequest())
		wantCode(t, err, apperr.RegistrationDisabled)
		f.nothingStored(t)
	})

	t.Run("an outage is a 503 and stores nothing", func(t *testing.T) {
		f := newFixture(t)
		f.store.Err = apperr.New(apperr.Unavailable, "down")
		_, err := f.svc.Register(ctx, validRequest())
		wantCode(t, err, apperr.Unavailable)
		f.store.Err = nil
		f.nothingStored(t)
	})
}

func TestStandard(t *testing.T) {
	standard := func(s *settings.Settings) { s.RegistrationType = settings.Standard }

	t.Run("a registration creates an active account, signs it in and welcomes it", func(t *testing.T) {
		f := newFixture(t, standard)
		res := f.register(t, validRequest())
		if res.Outcome != registration.SignedIn || res.CustomerID == "" || res.Session == nil {
			t.Fatalf("got %+v, want signed_in with a session", res)
		}
		c := f.onlyCustomer(t)
		if c.Status != customer.Active || c.ID != res.CustomerID || !c.ExpiresAt.IsZero() {
			t.Errorf("customer = %+v", c)
		}
		if !f.sessionLive(res.Session.Token) {
			t.Error("the new session does not authenticate")
		}
		if got := f.store.Outbox; len(got) != 1 || got[0].Kind() != mail.Welcome || got[0].To.Email != "ada@example.com" {
			t.Errorf("outbox = %+v, want the welcome", got)
		}
		if got := f.store.Activities; len(got) != 1 || got[0].Type != customer.ActivityRegistered {
			t.Errorf("activity = %+v, want registered", got)
		}
	})

	t.Run("a taken address is told: Standard chose an answer that tells", func(t *testing.T) {
		f := newFixture(t, standard)
		f.register(t, validRequest())
		again := validRequest()
		again.Email = "ADA@example.com"
		_, err := f.svc.Register(ctx, again)
		wantCode(t, err, apperr.EmailTaken)
	})

	t.Run("the store owner is told of each new customer when the settings ask", func(t *testing.T) {
		f := newFixture(t, standard, func(s *settings.Settings) {
			s.NotifyStoreOwner, s.StoreOwnerEmail = true, "owner@shop.example"
		})
		f.register(t, validRequest())
		var kinds []outbox.Kind
		for _, m := range f.store.Outbox {
			kinds = append(kinds, m.Kind())
		}
		if len(kinds) != 2 || kinds[1] != mail.StoreOwnerNewCustomer || f.store.Outbox[1].To.Email != "owner@shop.example" {
			t.Errorf("outbox kinds = %v, want the welcome and the owner's notice", kinds)
		}
	})
}
