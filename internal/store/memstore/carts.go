package memstore

import (
	"context"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/guest"
	"github.com/openreg/registration/internal/throttle"
)

type guestRecord struct {
	g     guest.Guest
	lines map[string]int
}

func (s *Store) guestRecords() map[string]guestRecord {
	if s.guests == nil {
		s.guests = map[string]guestRecord{}
	}
	return s.guests
}

type cartRecord struct {
	lines     map[string]int
	affiliate string
	rev       int64
}

func (s *Store) cartRecords() map[string]*cartRecord {
	if s.carts == nil {
		s.carts = map[string]*cartRecord{}
	}
	return s.carts
}

func lines(m map[string]int) []cart.Line {
	out := make([]cart.Line, 0, len(m))
	for sku, q := range m {
		out = append(out, cart.Line{SKU: sku, Quantity: q})
	}
	return cart.Sorted(out)
}

func lineMap(ls []cart.Line) map[string]int {
	m := map[string]int{}
	for _, l := range ls {
		m[l.SKU] = l.Quantity
	}
	return m
}

// Guest returns a guest and its lines; see shopping.Store.
func (s *Store) Guest(_ context.Context, id string) (guest.Guest, []cart.Line, error) {
	r, err := locked(s, func() (guestRecord, error) { return found(s.guestRecords(), id, guest.ErrNotFound) })
	if err != nil {
		return guest.Guest{}, nil, err
	}
	return r.g, lines(r.lines), nil
}

// CreateGuest stores a guest; see shopping.Store.
func (s *Store) CreateGuest(_ context.Context, g guest.Guest, ls []cart.Line, limit *throttle.Counter) error {
	return s.write(func(t *tx) {
		t.count(limit)
		t.change(func() { s.guestRecords()[g.ID] = guestRecord{g: g, lines: lineMap(ls)} })
	})
}

// RefreshGuest extends a guest's life; see shopping.Store.
func (s *Store) RefreshGuest(_ context.Context, id string, expires time.Time) error {
	return s.do(func() error {
		r, ok := s.guestRecords()[id]
		if !ok || r.g.RetiredTo != "" {
			return cart.ErrNoGuest
		}
		r.g.ExpiresAt = expires
		s.guests[id] = r
		return nil
	})
}

// CustomerCart returns a customer's cart; see shopping.Store.
func (s *Store) CustomerCart(_ context.Context, customerID string) (cart.Stored, error) {
	return locked(s, func() (cart.Stored, error) {
		c := s.cartRecords()[customerID]
		if c == nil {
			return cart.Stored{Lines: []cart.Line{}}, nil
		}
		return cart.Stored{Lines: lines(c.lines), AffiliateID: c.affiliate, Rev: c.rev}, nil
	})
}

// handOver adds a hand-over to a write; see cart.HandOver.
func (t *tx) handOver(h *cart.HandOver) {
	if h == nil {
		return
	}
	s := t.s
	t.check(func() error {
		g, ok := s.guestRecords()[h.GuestID]
		if !ok || !g.g.Usable(h.At) {
			return cart.ErrHandOverConflict
		}
		var rev int64
		if c := s.cartRecords()[h.CustomerID]; c != nil {
			rev = c.rev
		}
		if rev != h.Rev {
			return cart.ErrHandOverConflict
		}
		return nil
	})
	t.change(func() {
		g := s.guestRecords()[h.GuestID]
		g.g.RetiredTo, g.lines = h.CustomerID, map[string]int{}
		s.guests[h.GuestID] = g
		s.cartRecords()[h.CustomerID] = &cartRecord{lines: lineMap(h.Lines), affiliate: h.AffiliateID, rev: h.Rev + 1}
	})
}

// linesFor is the owner's line map, or nil for a guest that is not usable.
func (s *Store) linesFor(o cart.Owner, now time.Time, create bool) map[string]int {
	if o.GuestID != "" {
		r, ok := s.guestRecords()[o.GuestID]
		if !ok || !r.g.Usable(now) {
			return nil
		}
		return r.lines
	}
	c := s.cartRecords()[o.CustomerID]
	if c == nil && create {
		c = &cartRecord{lines: map[string]int{}}
		s.carts[o.CustomerID] = c
	}
	if c == nil {
		return nil
	}
	c.rev++
	return c.lines
}

// SetLine sets a line; see shopping.Store.
func (s *Store) SetLine(_ context.Context, o cart.Owner, l cart.Line, maxLines int, now time.Time) error {
	return s.do(func() error {
		m := s.linesFor(o, now, true)
		if m == nil {
			return cart.ErrNoGuest
		}
		if _, ok := m[l.SKU]; !ok && len(m) >= maxLines {
			return cart.ErrTooManyLines
		}
		m[l.SKU] = l.Quantity
		return nil
	})
}

// RemoveLine removes a line; see shopping.Store.
func (s *Store) RemoveLine(_ context.Context, o cart.Owner, sku string, now time.Time) error {
	return s.do(func() error {
		m := s.linesFor(o, now, false)
		if m == nil && o.GuestID != "" {
			return cart.ErrNoGuest
		}
		delete(m, sku)
		return nil
	})
}
