package customer

import (
	"io"
	"slices"
	"time"
)

// Subscription is an address's subscription to one newsletter type in one
// store: a record of its own (as the seed system keeps them), not a list on
// the account, so it belongs to the address whoever holds it. An address's
// subscriptions in a store share one ID, the subscriber's identity, which
// they keep however often they are switched off and on.
type Subscription struct {
	ID       string
	StoreID  string
	Email    string // as entered; records are keyed by its normalised form
	Type     string // a settings newsletter id
	Active   bool
	Language string
	// ActivatedAt is when it last became active (zero while it never was).
	CreatedAt, UpdatedAt, ActivatedAt time.Time
	// ExpiresAt is set on a record that waits for the opt-in of an account
	// that expires unless confirmed: it goes with the account (zero once
	// active).
	ExpiresAt time.Time
}

// Expired reports whether a waiting record outlived its account at now.
func (s Subscription) Expired(now time.Time) bool {
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// Waiting returns writes (Subscribe's, under double opt-in) with the new
// records expiring with their unverified account at expires, plus the
// address's records of types that already wait (for an earlier
// registration of the same account) moved to that expiry: a record waits
// exactly as long as the account that may activate it.
func Waiting(have, writes []Subscription, types []string, expires time.Time) []Subscription {
	out := make([]Subscription, 0, len(writes))
	for _, s := range writes {
		if !s.Active && s.ActivatedAt.IsZero() {
			s.ExpiresAt = expires
		}
		out = append(out, s)
	}
	for _, s := range have {
		if !s.ExpiresAt.IsZero() && slices.Contains(types, s.Type) && !s.ExpiresAt.Equal(expires) {
			s.ExpiresAt = expires
			out = append(out, s)
		}
	}
	return out
}

// Subscribe returns the records to write so that an address (with the
// records it has, in one store) is subscribed to types: an address that has
// subscriptions keeps their identity and gets the new types; an inactive
// one is reactivated when active is set. New records are active when active
// is set, and wait inactive otherwise (until the address is verified: see
// Activate). Records that need no change are not returned.
func Subscribe(have []Subscription, storeID, email, language string, types []string, active bool, now time.Time, random io.Reader) ([]Subscription, error) {
	id := ""
	if len(have) > 0 {
		id = have[0].ID
	}
	var out []Subscription
	for _, t := range types {
		i := slices.IndexFunc(have, func(s Subscription) bool { return s.Type == t })
		if i >= 0 {
			if s := have[i]; !s.Active && active {
				s.Active, s.UpdatedAt, s.ActivatedAt, s.Email, s.ExpiresAt = true, now, now, email, time.Time{}
				out = append(out, s)
			}
			continue
		}
		if id == "" {
			var err error
			if id, err = NewID(random); err != nil {
				return nil, err
			}
		}
		s := Subscription{ID: id, StoreID: storeID, Email: email, Type: t, Active: active, Language: language,
			CreatedAt: now, UpdatedAt: now}
		if active {
			s.ActivatedAt = now
		}
		out = append(out, s)
	}
	return out, nil
}

// Activate returns the records among have of types that become active now
// (the address was verified).
func Activate(have []Subscription, types []string, now time.Time) []Subscription {
	var out []Subscription
	for _, s := range have {
		if !s.Active && slices.Contains(types, s.Type) {
			s.Active, s.UpdatedAt, s.ActivatedAt, s.ExpiresAt = true, now, now, time.Time{}
			out = append(out, s)
		}
	}
	return out
}

// Activation starts an address's waiting subscriptions of Types, in the
// write that verifies the address, without reading them first: each record
// of those types becomes active (keeping its identity) and stops expiring;
// a record that is missing, which the registration that chose it always
// writes, is created active under NewID.
type Activation struct {
	StoreID, Email, Language string
	Types                    []string
	At                       time.Time
	NewID                    string
}

// Apply is the activation's effect on an address's records (the stores'
// one rule: the DynamoDB store applies it as one update per type).
func (a Activation) Apply(have []Subscription) []Subscription {
	var out []Subscription
	for _, t := range a.Types {
		i := slices.IndexFunc(have, func(s Subscription) bool { return s.Type == t })
		s := Subscription{ID: a.NewID, StoreID: a.StoreID, Email: a.Email, Type: t, Language: a.Language, CreatedAt: a.At}
		if i >= 0 {
			s = have[i]
		}
		if s.Language == "" {
			s.Language = a.Language
		}
		s.Active, s.UpdatedAt, s.ActivatedAt, s.ExpiresAt = true, a.At, a.At, time.Time{}
		out = append(out, s)
	}
	return out
}

// Unsubscribe returns the records among have that are active and not of
// keep, switched off (kept, with their identity, for a later return).
func Unsubscribe(have []Subscription, keep []string, now time.Time) []Subscription {
	var out []Subscription
	for _, s := range have {
		if s.Active && !slices.Contains(keep, s.Type) {
			s.Active, s.UpdatedAt = false, now
			out = append(out, s)
		}
	}
	return out
}

// Moved returns have as records of a new address (an address change keeps
// the subscriptions, as the seed system does).
func Moved(have []Subscription, email string, now time.Time) []Subscription {
	out := make([]Subscription, len(have))
	for i, s := range have {
		s.Email, s.UpdatedAt = email, now
		out[i] = s
	}
	return out
}
