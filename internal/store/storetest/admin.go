package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
)

// runAdmin is the contract of the back office's reads (admin.Store).
func runAdmin(t *testing.T, newStore New) {
	ctx := context.Background()

	t.Run("a store's customers of a status page newest first, each once, and a cursor it did not make is refused", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		for i, id := range []string{"0b6f2c1e-0000-4c1b-9f3e-000000000001", "0b6f2c1e-0000-4c1b-9f3e-000000000002", "0b6f2c1e-0000-4c1b-9f3e-000000000003"} {
			at := clock.Now().Add(time.Duration(i) * time.Minute)
			create(t, s, newAccount(id, id[len(id)-1:]+"@example.com", "", customer.Unverified, at))
		}
		other := newAccount("0b6f2c1e-0000-4c1b-9f3e-000000000009", "other@example.com", "", customer.Active, clock.Now())
		create(t, s, other)
		var got []string
		first, err := s.ListByStatus(ctx, "default", customer.Unverified, 2, "")
		if err != nil || len(first.Customers) != 2 || first.Cursor == "" {
			t.Fatalf("first page: %+v, %v", first, err)
		}
		second, err := s.ListByStatus(ctx, "default", customer.Unverified, 2, first.Cursor)
		if err != nil || len(second.Customers) != 1 || second.Cursor != "" {
			t.Fatalf("second page: %+v, %v", second, err)
		}
		for _, c := range append(first.Customers, second.Customers...) {
			got = append(got, c.Email)
		}
		if want := []string{"3@example.com", "2@example.com", "1@example.com"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("customers = %v, want %v", got, want)
		}
		if _, err := s.ListByStatus(ctx, "default", customer.Unverified, 2, "not a cursor"); !errors.Is(err, admin.ErrBadCursor) {
			t.Errorf("a made-up cursor: %v, want admin.ErrBadCursor", err)
		}
	})

	t.Run("an account whose mail stopped is listed as undeliverable, and under its status, until its address changes", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		acc := newAccount("0b6f2c1e-0000-4c1b-9f3e-00000000000b", "gone@example.com", "", customer.Active, clock.Now())
		create(t, s, acc)
		count := func(st customer.Status) int {
			t.Helper()
			p, err := s.ListByStatus(ctx, "default", st, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Customers)
		}
		if err := s.Suppress(ctx, "new@example.com", "bounced", clock.Now()); err != nil {
			t.Fatal(err)
		}
		before, err := s.Customer(ctx, acc.Customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		bounced := before
		bounced.EmailStatus, bounced.UpdatedAt = customer.EmailBounced, clock.Now().Add(time.Second)
		if err := s.Update(ctx, account.Update{Before: before, After: bounced}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Customer(ctx, acc.Customer.ID); err != nil || got.EmailStatus != customer.EmailBounced {
			t.Fatalf("stored email status %q, %v; want bounced", got.EmailStatus, err)
		}
		if u, a := count(customer.Undeliverable), count(customer.Active); u != 1 || a != 1 {
			t.Errorf("%d undeliverable and %d active listed, want the account in both lists", u, a)
		}
		if p, err := s.ListByStatus(ctx, "default", customer.Undeliverable, 10, ""); err != nil || len(p.Customers) != 1 || p.Customers[0].EmailStatus != customer.EmailBounced {
			t.Errorf("the undeliverable list: %+v, %v; want the account, bounced", p.Customers, err)
		}
		moved := bounced
		moved.Email, moved.EmailStatus, moved.UpdatedAt = "new@example.com", "", clock.Now().Add(2*time.Second)
		if err := s.Update(ctx, account.Update{Before: bounced, After: moved, LiftSuppression: "new@example.com"}); err != nil {
			t.Fatal(err)
		}
		if u, a := count(customer.Undeliverable), count(customer.Active); u != 0 || a != 1 {
			t.Errorf("after the change %d undeliverable and %d active listed, want it active again", u, a)
		}
		if sup, err := s.Suppressed(ctx, "new@example.com"); err != nil || sup {
			t.Errorf("the changed-to address is still suppressed (%v, %v); the change lifts it", sup, err)
		}
	})

	t.Run("a customer's activity pages newest first", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		const id = "0b6f2c1e-0000-4c1b-9f3e-00000000000a"
		acc := newAccount(id, "log@example.com", "", customer.Active, clock.Now())
		create(t, s, acc)
		// Two entries of the log (the registration's own entry is kept on
		// the customer by the DynamoDB store, in the log by memstore).
		c := acc.Customer
		for i, next := range []string{hash + "x", hash + "y"} {
			a := customer.Activity{CustomerID: id, Type: customer.ActivityPasswordRehash, At: clock.Now().Add(time.Duration(i+1) * time.Minute),
				Detail: map[string]string{"n": next[len(next)-1:]}}
			if err := s.UpdatePasswordHash(ctx, c, next, a); err != nil {
				t.Fatal(err)
			}
			c.PasswordHash = next
		}
		first, err := s.ActivityPage(ctx, id, 1, "")
		if err != nil || len(first.Entries) != 1 || first.Entries[0].Detail["n"] != "y" || first.Cursor == "" {
			t.Fatalf("first page: %+v, %v", first, err)
		}
		second, err := s.ActivityPage(ctx, id, 1, first.Cursor)
		if err != nil || len(second.Entries) != 1 || second.Entries[0].Detail["n"] != "x" {
			t.Fatalf("second page: %+v, %v", second, err)
		}
	})
}
