package event

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Type is an event's type: the EventBridge detail-type.
type Type string

// The contract's events.
const (
	Registered      Type = "customer.registered"
	Verified        Type = "customer.verified"
	Approved        Type = "customer.approved"
	Activated       Type = "customer.activated"
	SignedIn        Type = "customer.signed_in"
	SignedOut       Type = "customer.signed_out"
	PasswordChanged Type = "customer.password_changed"
	EmailChanged    Type = "customer.email_changed"
	Deleted         Type = "customer.deleted"
	// EmailUndeliverable: SES reported a hard bounce or a complaint of
	// the customer's address.
	EmailUndeliverable Type = "customer.email_undeliverable"
	// Imported: the back office imported the customer from another shop.
	Imported Type = "customer.imported"
)

// Types lists every event type; each has a schema.
var Types = []Type{Registered, Verified, Approved, Activated, SignedIn, SignedOut, PasswordChanged, EmailChanged, Deleted, EmailUndeliverable, Imported}

// Source is the EventBridge source of every event.
const Source = "openreg.customers"

// Event is one domain event.
type Event struct {
	ID         string
	Type       Type
	CustomerID string
	StoreID    string
	At         time.Time
	// Changes says what changed, by type: the new status, the address,
	// how a password changed, the guest a sign-in came from.
	Changes map[string]any
}

// New returns an event of t about a customer, with a fresh random id.
func New(random io.Reader, t Type, customerID, storeID string, at time.Time, changes map[string]any) (Event, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return Event{}, fmt.Errorf("event: id: %w", err)
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80 // a version 4 UUID
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	return Event{ID: id, Type: t, CustomerID: customerID, StoreID: storeID, At: at.UTC(), Changes: changes}, nil
}

// Of builds several events of one change; the first error wins.
func Of(random io.Reader, customerID, storeID string, at time.Time, each ...Spec) ([]Event, error) {
	var out []Event
	for _, sp := range each {
		e, err := New(random, sp.Type, customerID, storeID, at, sp.Changes)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Spec is an event's type and changes, before it has an id.
type Spec struct {
	Type    Type
	Changes map[string]any
}

// Detail is the event's JSON detail: its id, customer, store and time, and
// the changes beside them.
func (e Event) Detail() (string, error) {
	d := map[string]any{}
	for k, v := range e.Changes {
		d[k] = v
	}
	d["eventId"], d["customerId"], d["occurredAt"] = e.ID, e.CustomerID, e.At.Format(time.RFC3339Nano)
	if e.StoreID != "" {
		d["storeId"] = e.StoreID
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("event: encode %s: %w", e.Type, err)
	}
	return string(b), nil
}
