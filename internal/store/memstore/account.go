package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/outbox"
)

// Update applies one change of an account; see account.Update.
func (s *Store) Update(_ context.Context, u account.Update) error {
	return s.write(func(t *tx) {
		before, after := u.Before, u.After
		oldEmail, oldUsername := loginNames(before)
		deleted := after.Status == customer.Deleted
		newEmail, _ := loginNames(after)
		t.check(func() error {
			cur, ok := s.customers[before.ID]
			if !ok || !cur.UpdatedAt.Equal(before.UpdatedAt) {
				return account.ErrConflict
			}
			if _, live := s.sessions[u.Session]; !u.Session.IsZero() && !live {
				return account.ErrSessionGone
			}
			return nil
		})
		if !deleted && newEmail != oldEmail {
			t.unclaimed(newEmail, account.ErrEmailTaken)
		}
		t.change(func() {
			s.customers[after.ID] = after
			for _, id := range u.DropPasskeys {
				delete(s.passkeys[after.ID], id)
			}
			delete(s.suppressed, u.LiftSuppression)
			s.subscribe(u.Subscriptions, u.DropSubscriptions)
			s.Consents = slices.DeleteFunc(s.Consents, func(cr customer.ConsentRecord) bool {
				return slices.ContainsFunc(u.DropConsents, func(d customer.ConsentRecord) bool {
					return d.CustomerID == cr.CustomerID && d.ConsentID == cr.ConsentID && d.At.Equal(cr.At)
				})
			})
			switch {
			case deleted:
				s.dropKey(oldEmail)
				if oldUsername != "" {
					s.dropKey(oldUsername)
				}
			case newEmail != oldEmail:
				s.dropKey(oldEmail)
				s.keys[newEmail] = holder(after)
			default:
				for _, k := range []string{oldEmail, oldUsername} {
					if k != "" {
						s.keys[k] = holder(after)
					}
				}
			}
			if u.Activity != nil {
				s.Activities = append(s.Activities, *u.Activity)
			}
			s.Outbox = append(s.Outbox, u.Outbox...)
			s.Events = append(s.Events, u.Events...)
		})
	})
}

// ClaimReset; see myaccount.Store.
func (s *Store) ClaimReset(_ context.Context, emailKey, jobID string, now time.Time, every time.Duration) (bool, error) {
	return s.claimInterval("reset:"+emailKey, jobID, now, every)
}

// ClaimSignInCode is ClaimReset for sign-in codes.
func (s *Store) ClaimSignInCode(_ context.Context, emailKey, jobID string, now time.Time, every time.Duration) (bool, error) {
	return s.claimInterval("signin-code:"+emailKey, jobID, now, every)
}

// Records returns a customer's logs and live sessions.
func (s *Store) Records(_ context.Context, customerID string) (account.Records, error) {
	return locked(s, func() (account.Records, error) {
		var r account.Records
		for _, c := range s.Consents {
			if c.CustomerID == customerID {
				r.Consents = append(r.Consents, c)
			}
		}
		for _, a := range s.Activities {
			if a.CustomerID == customerID {
				r.Activity = append(r.Activity, a)
			}
		}
		for ref, ss := range s.sessions {
			if ref.CustomerID == customerID && ss.ExpiresAt.After(s.now()) {
				r.Sessions = append(r.Sessions, ss)
			}
		}
		return r, nil
	})
}

// Sweep deletes an erased customer's sessions, passkeys, activity entries
// and mails (to or about them), and the jobs that named the erased address.
func (s *Store) Sweep(_ context.Context, customerID, addressDigest string) (int, error) {
	return locked(s, func() (int, error) {
		n := len(s.passkeys[customerID])
		delete(s.passkeys, customerID)
		for ref := range s.sessions {
			if ref.CustomerID == customerID {
				delete(s.sessions, ref)
				n++
			}
		}
		before := len(s.Activities) + len(s.Outbox)
		s.Activities = slices.DeleteFunc(s.Activities, func(a customer.Activity) bool { return a.CustomerID == customerID })
		s.Outbox = slices.DeleteFunc(s.Outbox, func(m outbox.Message) bool {
			return m.Concerns() == customerID || (addressDigest != "" && m.Address() != "" && customer.AddressDigest(m.Address()) == addressDigest)
		})
		return n + before - len(s.Activities) - len(s.Outbox), nil
	})
}
