package memstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/passkey"
)

// The passkeys and their challenges, with the DynamoDB store's rules: a
// challenge is spent by the write that finishes its ceremony, on the
// condition that it exists and has not expired; a sign-in replaces its
// credential only while the stored counter is the one it verified against.

// cloneCredential is c with slices of its own (and empty ones nil, as the
// DynamoDB store reads them).
func cloneCredential(c passkey.Credential) passkey.Credential {
	c.ID, c.PublicKey = cloneBytes(c.ID), cloneBytes(c.PublicKey)
	c.Transports = slices.Clone(c.Transports)
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	return c
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// PutPasskeyChallenge stores ch; see the DynamoDB store's.
func (s *Store) PutPasskeyChallenge(_ context.Context, ch passkey.Challenge) error {
	return s.do(func() error {
		switch {
		case ch.Purpose == passkey.PurposeSignIn && ch.ID != "":
			s.signInChallenges[ch.ID] = ch
		case ch.Purpose == passkey.PurposeRegister && ch.CustomerID != "":
			s.registerChallenges[ch.CustomerID] = ch
		default:
			return fmt.Errorf("memstore: a passkey challenge of purpose %q without its id or customer", ch.Purpose)
		}
		return nil
	})
}

// RegistrationChallenge returns the customer's pending registration
// challenge; see the DynamoDB store's.
func (s *Store) RegistrationChallenge(_ context.Context, customerID string) (passkey.Challenge, error) {
	return locked(s, func() (passkey.Challenge, error) {
		return found(s.registerChallenges, customerID, customer.ErrNotFound)
	})
}

// Passkeys returns the customer's passkeys by credential id; see the
// DynamoDB store's.
func (s *Store) Passkeys(_ context.Context, customerID string) ([]passkey.Credential, error) {
	return locked(s, func() ([]passkey.Credential, error) {
		var all []passkey.Credential
		for _, id := range slices.Sorted(maps.Keys(s.passkeys[customerID])) {
			all = append(all, cloneCredential(s.passkeys[customerID][id]))
		}
		return all, nil
	})
}

// spend adds the check that a challenge is in m under k and unexpired,
// and its removal.
func (t *tx) spend(m map[string]passkey.Challenge, k string) {
	t.check(func() error {
		if ch, ok := m[k]; !ok || !ch.ExpiresAt.After(t.s.now()) {
			return account.ErrChallengeUsed
		}
		return nil
	})
	t.change(func() { delete(m, k) })
}

// AddPasskey adds a passkey; see account.PasskeyAdd.
func (s *Store) AddPasskey(_ context.Context, a account.PasskeyAdd) error {
	c := cloneCredential(a.Credential)
	id := c.IDText()
	return s.write(func(t *tx) {
		t.check(func() error {
			if c.CustomerID == "" || len(c.ID) == 0 {
				return fmt.Errorf("memstore: a passkey without its customer or id")
			}
			if _, live := s.sessions[a.Session]; !a.Session.IsZero() && !live {
				return account.ErrSessionGone
			}
			return nil
		})
		t.spend(s.registerChallenges, c.CustomerID)
		t.check(func() error {
			if _, ok := s.passkeys[c.CustomerID][id]; ok {
				return account.ErrPasskeyExists
			}
			return nil
		})
		t.change(func() {
			if s.passkeys[c.CustomerID] == nil {
				s.passkeys[c.CustomerID] = map[string]passkey.Credential{}
			}
			s.passkeys[c.CustomerID][id] = c
			if cust, ok := s.customers[c.CustomerID]; ok {
				cust.HasPasskeys, cust.UpdatedAt = true, a.Activity.At
				s.customers[c.CustomerID] = cust
			}
			s.log(a.Activity)
			if a.Notice.Content != nil {
				s.Outbox = append(s.Outbox, a.Notice)
			}
			s.Events = append(s.Events, a.Events...)
		})
	})
}

// RemovePasskey deletes one of the customer's passkeys; see the DynamoDB
// store's.
func (s *Store) RemovePasskey(_ context.Context, customerID, credentialID string, a customer.Activity, events []event.Event) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			_, err := found(s.passkeys[customerID], credentialID, customer.ErrNotFound)
			return err
		})
		t.change(func() {
			delete(s.passkeys[customerID], credentialID)
			s.log(a)
			s.Events = append(s.Events, events...)
		})
	})
}

// PasskeySignIn reads a sign-in's challenge, the passkey it names and its
// customer; see the DynamoDB store's.
func (s *Store) PasskeySignIn(_ context.Context, challengeID, customerID, credentialID string) (ch passkey.Challenge, cred passkey.Credential, c customer.Customer, err error) {
	err = s.do(func() error {
		var okCh, okCred, okC bool
		ch, okCh = s.signInChallenges[challengeID]
		cred, okCred = s.passkeys[customerID][credentialID]
		c, okC = s.customers[customerID]
		if !okCh || !okCred || !okC {
			return customer.ErrNotFound
		}
		cred = cloneCredential(cred)
		return nil
	})
	if err != nil {
		return passkey.Challenge{}, passkey.Credential{}, customer.Customer{}, err
	}
	return ch, cred, c, nil
}

// passkeyUse adds what a passkey sign-in writes: the challenge spent, the
// credential replaced while its counter is u.PreviousCount.
func (t *tx) passkeyUse(u *account.PasskeyUse) {
	t.spend(t.s.signInChallenges, u.ChallengeID)
	c := cloneCredential(u.Credential)
	id := c.IDText()
	t.check(func() error {
		if cur, ok := t.s.passkeys[c.CustomerID][id]; !ok || cur.SignCount != u.PreviousCount {
			return account.ErrChallengeUsed
		}
		return nil
	})
	t.change(func() { t.s.passkeys[c.CustomerID][id] = c })
}
