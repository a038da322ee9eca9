package deliverability_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"testing"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/deliverability"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

func TestRecord(t *testing.T) {
	bounce := deliverability.Notification{Type: "Bounce", BounceType: "Permanent", Recipients: []string{"Ada@Example.com"}}
	complaint := deliverability.Notification{Type: "Complaint", Recipients: []string{"ada@example.com"}}
	tests := []struct {
		name       string
		reports    []deliverability.Notification
		status     customer.EmailStatus
		suppressed bool
		events     int
	}{
		{"a hard bounce suppresses the address and marks the account", []deliverability.Notification{bounce}, customer.EmailBounced, true, 1},
		{"a complaint marks it complained", []deliverability.Notification{complaint}, customer.EmailComplained, true, 1},
		{"a report delivered twice writes once", []deliverability.Notification{bounce, bounce}, customer.EmailBounced, true, 1},
		{"a transient bounce changes nothing", []deliverability.Notification{{Type: "Bounce", BounceType: "Transient", Recipients: []string{"ada@example.com"}}}, "", false, 0},
		{"a delivery report changes nothing", []deliverability.Notification{{Type: "Delivery", Recipients: []string{"ada@example.com"}}}, "", false, 0},
		{"a bounce of another address leaves the account alone", []deliverability.Notification{{Type: "Bounce", BounceType: "Permanent", Recipients: []string{"bob@example.com", "not an address"}}}, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clock := storetest.NewClock(storetest.Start)
			st := memstore.New(clock.Now)
			st.Put(customer.Customer{ID: "c1", StoreID: "default", Email: "ada@example.com", Status: customer.Active,
				EmailVerifiedAt: clock.Now(), CreatedAt: clock.Now(), UpdatedAt: clock.Now()})
			svc := deliverability.New(st, rand.Reader, clock.Now, slog.New(slog.DiscardHandler))
			for _, n := range tt.reports {
				if err := svc.Record(ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			c, err := st.Customer(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if c.EmailStatus != tt.status || c.Status != customer.Active {
				t.Errorf("account is %s with email status %q, want still active with %q", c.Status, c.EmailStatus, tt.status)
			}
			if got, _ := st.Suppressed(ctx, "ada@example.com"); got != tt.suppressed {
				t.Errorf("suppressed = %v, want %v", got, tt.suppressed)
			}
			var undeliverable []event.Event
			for _, e := range st.Events {
				if e.Type == event.EmailUndeliverable {
					undeliverable = append(undeliverable, e)
				}
			}
			if len(undeliverable) != tt.events {
				t.Fatalf("%d customer.email_undeliverable events, want %d", len(undeliverable), tt.events)
			}
			for _, e := range undeliverable {
				if e.CustomerID != "c1" || e.Changes["emailStatus"] != string(tt.status) || e.Changes["email"] != nil {
					t.Errorf("event %+v, want the customer and its email status, and no address", e)
				}
			}
			page, err := st.ListByStatus(ctx, "default", customer.Undeliverable, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			if listed := len(page.Customers) == 1; listed != (tt.status != "") {
				t.Errorf("the back office's undeliverable list has %d customers, want the account listed: %v", len(page.Customers), tt.status != "")
			}
		})
	}
}

func TestRecordFailsWhenTheStoreDoes(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	st := memstore.New(clock.Now)
	st.Err = errors.New("the table is down")
	svc := deliverability.New(st, rand.Reader, clock.Now, slog.New(slog.DiscardHandler))
	err := svc.Record(context.Background(), deliverability.Notification{Type: "Complaint", Recipients: []string{"ada@example.com"}})
	if err == nil {
		t.Fatal("a report the store could not record succeeded, and would be lost")
	}
}
