package registration_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/registration"
)

func TestNotifierPreparesTheOwnersNotice(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	job := mail.Message{ID: "job-1", Kind: mail.RegistrationAttempt, To: " ADA@Example.com", Language: "en",
		SourceIP: "198.51.100.9", CreatedAt: now}

	t.Run("the owner gets the notice in their own language, and the attempt is logged on their account", func(t *testing.T) {
		f := newFixture(t)
		first := validRequest()
		first.Language = []string{"de"}
		f.register(t, first)
		owner := f.onlyCustomer(t)
		f.store.activities = nil

		got, due, err := registration.NewNotifier(f.store, f.clock.Now, log).Prepare(ctx, job)
		if err != nil || !due {
			t.Fatalf("got due %v, err %v; want a mail", due, err)
		}
		want := mail.Message{ID: "job-1-notice", Kind: mail.AccountExists, To: owner.Email, Language: "de",
			StoreID: owner.StoreID, CustomerID: owner.ID, FirstName: "Ada", LastName: owner.Profile.LastName, CreatedAt: now}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("got a mail the mailer refuses: %v", err)
		}
		if len(f.store.activities) != 1 || f.store.activities[0].Type != customer.ActivityRegisterAgain ||
			f.store.activities[0].CustomerID != owner.ID || f.store.activities[0].Detail["sourceIp"] != "198.51.100.9" {
			t.Errorf("got activities %+v, want one attempt entry for the owner", f.store.activities)
		}
	})
	t.Run("an owner gets at most one notice an hour, however many attempts", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, validRequest())
		n := registration.NewNotifier(f.store, f.clock.Now, log)
		second := job
		second.ID = "job-2"
		if _, due, _ := n.Prepare(ctx, job); !due {
			t.Fatal("the first notice was not due")
		}
		if _, due, _ := n.Prepare(ctx, second); due {
			t.Error("a second notice within the hour was due")
		}
		if _, due, _ := n.Prepare(ctx, job); !due {
			t.Error("a retry of the first job was refused")
		}
		f.clock.Advance(registration.NoticeInterval)
		if _, due, _ := n.Prepare(ctx, second); !due {
			t.Error("a notice after the hour was refused")
		}
	})
	t.Run("no mail when the account went away meanwhile", func(t *testing.T) {
		f := newFixture(t)
		_, due, err := registration.NewNotifier(f.store, f.clock.Now, log).Prepare(ctx, job)
		if err != nil || due {
			t.Errorf("got due %v, err %v; want nothing to send", due, err)
		}
	})
	t.Run("a failed lookup is an error, so the job is retried", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, validRequest())
		f.store.lookupErr = apperr.New(apperr.Unavailable, "down")
		_, _, err := registration.NewNotifier(f.store, f.clock.Now, log).Prepare(ctx, job)
		wantCode(t, err, apperr.Unavailable)
	})
}
