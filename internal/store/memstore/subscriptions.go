package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/openreg/registration/internal/customer"
)

// subscriptionKey is a subscription's place: store, normalised address,
// newsletter type (the DynamoDB store's partition and sort key).
func subscriptionKey(s customer.Subscription) string {
	return s.StoreID + "\x00" + customer.NormalizeLogin(s.Email) + "\x00" + s.Type
}

// Subscriptions returns a normalised address's subscriptions in a store,
// ordered by type.
func (s *Store) Subscriptions(_ context.Context, storeID, emailKey string) ([]customer.Subscription, error) {
	return locked(s, func() ([]customer.Subscription, error) { return s.subscriptionsOf(storeID, emailKey), nil })
}

// subscriptionsOf is Subscriptions under the lock.
func (s *Store) subscriptionsOf(storeID, emailKey string) []customer.Subscription {
	prefix := storeID + "\x00" + emailKey + "\x00"
	var out []customer.Subscription
	for k, sub := range s.subscriptions {
		if strings.HasPrefix(k, prefix) && !sub.Expired(s.now()) {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b customer.Subscription) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// subscribe applies a change's subscription writes (call inside a change).
func (s *Store) subscribe(put, drop []customer.Subscription) {
	if s.subscriptions == nil {
		s.subscriptions = map[string]customer.Subscription{}
	}
	for _, d := range drop {
		delete(s.subscriptions, subscriptionKey(d))
	}
	for _, p := range put {
		s.subscriptions[subscriptionKey(p)] = p
	}
}

// PutSubscription stores a subscription record as it is (tests set up what
// a registration would have written).
func (s *Store) PutSubscription(sub customer.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribe([]customer.Subscription{sub}, nil)
}
