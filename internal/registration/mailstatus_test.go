package registration_test

import (
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
)

func TestMailStatus(t *testing.T) {
	owner := customer.Customer{ID: "a6b1c2d3-0000-4000-8000-000000000001", StoreID: "default", Email: "ada@example.com",
		Status: customer.Active, EmailVerifiedAt: now, CreatedAt: now, UpdatedAt: now}
	tests := []struct {
		name    string
		taken   bool                 // the address has a verified account
		outcome registration.Outcome // "": the mailer has not run
		sent    bool                 // the ledger says the job's mail went out
		mark    customer.EmailStatus // what SES reported of the address since
		before  bool                 // the address was suppressed before
		later   time.Duration
		want    registration.MailStatus
		code    apperr.Code
	}{
		{name: "before the mailer completes it the mail is pending", want: registration.MailPending},
		{name: "completed but not yet sent is pending", outcome: registration.Created, want: registration.MailPending},
		{name: "a new address's link that went out is sent", outcome: registration.Created, sent: true, want: registration.MailSent},
		{name: "a taken address's notice that went out is sent alike", taken: true, outcome: registration.Notified, sent: true, want: registration.MailSent},
		{name: "a new address that bounced says so", outcome: registration.Created, sent: true, mark: customer.EmailBounced, want: registration.MailBounced},
		{name: "a taken address that bounced says so alike", taken: true, outcome: registration.Notified, sent: true, mark: customer.EmailBounced, want: registration.MailBounced},
		{name: "a complaint says complained", outcome: registration.Created, sent: true, mark: customer.EmailComplained, want: registration.MailComplained},
		{name: "an address suppressed before the account existed says bounced", outcome: registration.Created, sent: true, before: true, want: registration.MailBounced},
		{name: "a day later the registration is gone", outcome: registration.Created, sent: true, later: 25 * time.Hour, code: apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.taken {
				f.store.Put(owner)
			}
			res := f.register(t, validRequest())
			if res.RegistrationID == "" {
				t.Fatal("the 202 carries no registration id")
			}
			p, ok := f.store.Pending(res.RegistrationID)
			if !ok {
				t.Fatal("the registration id names no pending registration")
			}
			if p.AccountID == p.ID || p.AccountID == "" {
				t.Fatalf("the registration id %q is the account's to-be id %q", p.ID, p.AccountID)
			}
			if tt.outcome != "" {
				cust := p.Customer(customer.Unverified)
				if tt.taken {
					cust = owner
				}
				if err := f.store.Complete(ctx, registration.Completion{Registration: p, Outcome: tt.outcome, Customer: cust}); err != nil {
					t.Fatal(err)
				}
				if tt.mark != "" {
					c, _ := f.store.Customer(ctx, cust.ID)
					c.EmailStatus = tt.mark
					f.store.Put(c)
				}
			}
			if tt.sent {
				if err := f.store.MarkSent(ctx, p.JobID, now); err != nil {
					t.Fatal(err)
				}
			}
			if tt.before {
				if err := f.store.Suppress(ctx, "ada@example.com", "bounced", now); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Advance(tt.later)
			got, err := f.svc.MailStatus(ctx, res.RegistrationID)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("MailStatus = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("an unknown or malformed id is not found", func(t *testing.T) {
		f := newFixture(t)
		for _, id := range []string{"a6b1c2d3-0000-4000-8000-00000000ffff", "not-an-id", ""} {
			_, err := f.svc.MailStatus(ctx, id)
			wantCode(t, err, apperr.NotFound)
		}
	})
}
