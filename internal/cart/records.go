package cart

import (
	"errors"
	"time"
)

// Owner is whose cart a line goes to: a customer's or a guest's.
type Owner struct {
	CustomerID string
	GuestID    string
}

// Errors of a Store's line writes.
var (
	// ErrTooManyLines: the cart is at its line limit and the line is new.
	ErrTooManyLines = errors.New("cart: too many lines")
	// ErrNoGuest: the guest is gone (retired, expired, never was).
	ErrNoGuest = errors.New("cart: no such guest")
	// ErrHandOverConflict: the guest retired or the customer's cart
	// changed since the hand-over was prepared; prepare it again.
	ErrHandOverConflict = errors.New("cart: the guest or the cart changed")
)

// Stored is a customer's cart as stored: its lines, the affiliate the
// customer came through, and its revision (every write adds one; 0: no
// cart yet), which a hand-over is conditioned on.
type Stored struct {
	Lines       []Line
	AffiliateID string
	Rev         int64
}

// HandOver is the write that gives a guest's cart to a customer, inside the
// write that signs the customer in (or creates the account): the guest
// retires, on the condition that it is still usable and not retired, so it
// is handed over exactly once however many requests race; the customer's
// cart becomes Lines, on the condition that it is still at Rev, so no line
// set meanwhile is lost.
type HandOver struct {
	GuestID    string
	CustomerID string
	Lines      []Line
	// AffiliateID is the customer's affiliate after the hand-over: the
	// guest's when the customer had none.
	AffiliateID string
	Rev         int64
	At          time.Time
	Merged      Merged
}

// Changes is what customer.signed_in says of a hand-over.
func (h *HandOver) Changes() map[string]any {
	if h == nil {
		return map[string]any{}
	}
	return map[string]any{"guestId": h.GuestID, "merged": h.Merged}
}
