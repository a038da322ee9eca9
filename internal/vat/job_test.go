package vat_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/vat/viestest"
)

const adaID = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"

var owner = &outbox.Recipient{Email: "owner@shop.example", Language: "en", StoreID: "default"}

type fixture struct {
	store *memstore.Store
	clock *storetest.Clock
	vies  *viestest.Server
	job   *vat.Checker
}

func newFixture(t *testing.T, number string, notify bool) *fixture {
	t.Helper()
	clock := storetest.NewClock(storetest.Start)
	st := memstore.New(clock.Now)
	srv := viestest.Start(t)
	srv.Delay = 2 * time.Second
	var to *outbox.Recipient
	if notify {
		to = owner
	}
	f := &fixture{store: st, clock: clock, vies: srv,
		job: vat.NewChecker(st, vat.NewVIES(srv.URL, http.DefaultClient, 300*time.Millisecond), to, clock.Now, slog.New(slog.DiscardHandler))}
	st.Put(customer.Customer{ID: adaID, StoreID: "default", Email: "ada@example.com", Status: customer.Active,
		Profile: customer.Profile{FirstName: "Ada", Company: "Analytical Engines", VatNumber: number},
		Vat:     &customer.VatCheck{Number: number, Status: customer.VatUnknown}, CreatedAt: clock.Now(), UpdatedAt: clock.Now()})
	return f
}

func (f *fixture) run(t *testing.T, number string) (outbox.Message, bool, error) {
	t.Helper()
	j := vat.CheckJob{CustomerID: adaID, Number: number}
	out, err := f.job.Run(context.Background(), outbox.New("7d1e0c52-8a7b-4c3d-9e2f-1a2b3c4d5e6f", f.clock.Now(), outbox.Recipient{}, j), j)
	if out == nil {
		return outbox.Message{}, false, err
	}
	return *out, true, err
}

func (f *fixture) check(t *testing.T) customer.VatCheck {
	t.Helper()
	c, err := f.store.Customer(context.Background(), adaID)
	if err != nil || c.Vat == nil {
		t.Fatalf("customer %+v, %v", c, err)
	}
	return *c.Vat
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		kase       string
		wantStatus customer.VatStatus
		wantName   string
	}{
		{"a registered number is valid, with the name and address VIES gave", viestest.Valid, customer.VatValid, "ACME HANDELS GMBH"},
		{"a member state that shares no details leaves them empty", viestest.ValidNoDetails, customer.VatValid, ""},
		{"a number VIES does not know is invalid", viestest.Invalid, customer.VatInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "DE123456789", true)
			f.vies.Answer("DE123456789", tt.kase)
			msg, due, err := f.run(t, "DE123456789")
			if err != nil || !due {
				t.Fatalf("Run: due %v, %v", due, err)
			}
			got := f.check(t)
			if got.Status != tt.wantStatus || got.Name != tt.wantName || got.CheckedAt.IsZero() {
				t.Fatalf("check = %+v", got)
			}
			n, ok := msg.Content.(mail.NewVatNotice)
			if !ok || msg.To != *owner || n.VatNumber != "DE123456789" || n.Status != string(tt.wantStatus) ||
				n.Name != tt.wantName || n.About.Email != "ada@example.com" || n.About.Company != "Analytical Engines" {
				t.Fatalf("notice %+v (%T) to %+v", n, msg.Content, msg.To)
			}
			// A retry after the notice's send failed mails it again and asks
			// VIES nothing.
			if _, due, err := f.run(t, "DE123456789"); !due || err != nil || f.vies.Calls("DE123456789") != 1 {
				t.Fatalf("retry: due %v, %v, %d calls", due, err, f.vies.Calls("DE123456789"))
			}
		})
	}
}

func TestOutages(t *testing.T) {
	for _, kase := range []string{viestest.MSUnavailable, viestest.ErrorDocument, viestest.Down, viestest.Slow} {
		t.Run("VIES "+kase+" is asked again later, with backoff, then the number stays unknown", func(t *testing.T) {
			f := newFixture(t, "FR12345678901", true)
			f.vies.Answer("FR12345678901", kase)
			for attempt := 1; attempt < vat.MaxAttempts; attempt++ {
				_, _, err := f.run(t, "FR12345678901")
				var later *outbox.RetryLater
				if !errors.As(err, &later) || later.After != vat.RetryDelay(attempt) {
					t.Fatalf("attempt %d: %v, want a retry after %s", attempt, err, vat.RetryDelay(attempt))
				}
				if c := f.check(t); c.Status != customer.VatUnknown || c.Attempts != attempt || !c.CheckedAt.IsZero() || c.LastError == "" {
					t.Fatalf("attempt %d: check %+v", attempt, c)
				}
				f.clock.Advance(later.After)
			}
			msg, due, err := f.run(t, "FR12345678901")
			if err != nil || !due {
				t.Fatalf("last attempt: due %v, %v", due, err)
			}
			if c := f.check(t); c.Status != customer.VatUnknown || c.CheckedAt.IsZero() || c.Attempts != vat.MaxAttempts {
				t.Fatalf("after giving up: %+v", c)
			}
			if n, _ := msg.Content.(mail.NewVatNotice); n.Status != string(customer.VatUnknown) {
				t.Fatalf("notice %+v", n)
			}
			if n := f.vies.Calls("FR12345678901"); n != vat.MaxAttempts {
				t.Errorf("VIES asked %d times, want %d", n, vat.MaxAttempts)
			}
		})
	}
	t.Run("the delays grow fourfold from two minutes", func(t *testing.T) {
		if vat.RetryDelay(1) != 2*time.Minute || vat.RetryDelay(2) != 8*time.Minute || vat.RetryDelay(3) != 32*time.Minute {
			t.Fatal(vat.RetryDelay(1), vat.RetryDelay(2), vat.RetryDelay(3))
		}
	})
}

func TestStaleJobs(t *testing.T) {
	t.Run("a job for a number the customer replaced does nothing", func(t *testing.T) {
		f := newFixture(t, "DE123456789", true)
		msg, due, err := f.run(t, "DE999999999")
		if err != nil || due || msg.ID != "" || f.vies.Calls("DE999999999") != 0 {
			t.Fatalf("due %v, %v, %d calls", due, err, f.vies.Calls("DE999999999"))
		}
	})
	t.Run("a store that does not ask for the notice gets none", func(t *testing.T) {
		f := newFixture(t, "DE123456789", false)
		f.vies.Answer("DE123456789", viestest.Valid)
		if _, due, err := f.run(t, "DE123456789"); due || err != nil {
			t.Fatalf("due %v, %v", due, err)
		}
		if f.check(t).Status != customer.VatValid {
			t.Fatal("the status was not stored")
		}
	})
}
