package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/guest"
	"github.com/openreg/registration/internal/throttle"
)

// createGuest stores a guest id without lines that lives an hour from now,
// or stops the test.
func createGuest(t *testing.T, s Store, id string, now time.Time) {
	t.Helper()
	if err := s.CreateGuest(context.Background(), guest.Guest{ID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// runCart is the contract of guests and carts (shopping.Store).
func runCart(t *testing.T, newStore New) {
	ctx := context.Background()
	line := func(sku string, q int) cart.Line { return cart.Line{SKU: sku, Quantity: q} }

	t.Run("a guest is stored with its lines and counted on its client's limit", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		now := clock.Now()
		limit := counter(t, throttle.ClientGuests, 1, time.Hour, now, "192.0.2.1")
		g := guest.Guest{ID: "g-1", AffiliateID: "partner", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		if err := s.CreateGuest(ctx, g, []cart.Line{line("A", 2)}, &limit); err != nil {
			t.Fatal(err)
		}
		got, lines, err := s.Guest(ctx, "g-1")
		if err != nil || got.AffiliateID != "partner" || !got.ExpiresAt.Equal(g.ExpiresAt) || len(lines) != 1 || lines[0] != line("A", 2) {
			t.Fatalf("guest = %+v %v, %v", got, lines, err)
		}
		second := guest.Guest{ID: "g-2", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		var ex *throttle.Exceeded
		if err := s.CreateGuest(ctx, second, nil, &limit); !errors.As(err, &ex) {
			t.Errorf("a second guest of the client: %v, want *throttle.Exceeded", err)
		}
		if _, _, err := s.Guest(ctx, "g-2"); !errors.Is(err, guest.ErrNotFound) {
			t.Errorf("the refused guest: %v, want guest.ErrNotFound", err)
		}
	})

	t.Run("a guest's life is extended, and a missing guest is not found", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		now := clock.Now()
		createGuest(t, s, "g-1", now)
		if err := s.RefreshGuest(ctx, "g-1", now.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if g, _, err := s.Guest(ctx, "g-1"); err != nil || !g.ExpiresAt.Equal(now.Add(48*time.Hour)) {
			t.Errorf("after the refresh: %+v, %v", g, err)
		}
		if _, _, err := s.Guest(ctx, "nobody"); !errors.Is(err, guest.ErrNotFound) {
			t.Errorf("a missing guest: %v, want guest.ErrNotFound", err)
		}
	})

	t.Run("lines are set, replaced and removed, and a new line past the limit is refused", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		now := clock.Now()
		owner := cart.Owner{CustomerID: "c-1"}
		if got, err := s.CustomerCart(ctx, "c-1"); err != nil || len(got.Lines) != 0 || got.Rev != 0 {
			t.Fatalf("a customer without a cart: %+v, %v", got, err)
		}
		for _, l := range []cart.Line{line("A", 1), line("B", 2), line("A", 3)} {
			if err := s.SetLine(ctx, owner, l, 2, now); err != nil {
				t.Fatalf("set %+v: %v", l, err)
			}
		}
		if err := s.SetLine(ctx, owner, line("C", 1), 2, now); !errors.Is(err, cart.ErrTooManyLines) {
			t.Errorf("a third line with two allowed: %v, want cart.ErrTooManyLines", err)
		}
		got, err := s.CustomerCart(ctx, "c-1")
		if err != nil || len(got.Lines) != 2 || got.Rev == 0 {
			t.Fatalf("cart = %+v, %v", got, err)
		}
		if lines := cart.Sorted(got.Lines); lines[0] != line("A", 3) || lines[1] != line("B", 2) {
			t.Errorf("lines = %v, want A×3 and B×2", lines)
		}
		if err := s.RemoveLine(ctx, owner, "A", now); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveLine(ctx, owner, "Z", now); err != nil {
			t.Errorf("removing a missing line: %v, want nothing", err)
		}
		if got, _ := s.CustomerCart(ctx, "c-1"); len(got.Lines) != 1 || got.Lines[0] != line("B", 2) {
			t.Errorf("after removing A: %+v", got)
		}
	})

	t.Run("a guest that expired or never was takes no line", func(t *testing.T) {
		s, clock := newStore.fresh(t)
		now := clock.Now()
		createGuest(t, s, "g-old", now)
		if err := s.SetLine(ctx, cart.Owner{GuestID: "g-old"}, line("A", 1), 10, now.Add(2*time.Hour)); !errors.Is(err, cart.ErrNoGuest) {
			t.Errorf("an expired guest: %v, want cart.ErrNoGuest", err)
		}
		if err := s.SetLine(ctx, cart.Owner{GuestID: "g-none"}, line("A", 1), 10, now); !errors.Is(err, cart.ErrNoGuest) {
			t.Errorf("a guest that never was: %v, want cart.ErrNoGuest", err)
		}
		if err := s.SetLine(ctx, cart.Owner{GuestID: "g-old"}, line("A", 1), 10, now); err != nil {
			t.Errorf("the guest while it lives: %v", err)
		}
	})
}
