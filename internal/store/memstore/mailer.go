package memstore

import (
	"context"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/verification"
)

// The mailer's side: completing registrations, issuing links, the ledger.

type ledgerEntry struct {
	sent  bool
	lease time.Time // while sending
}

// interval is the last job that mailed an address for one purpose.
type interval struct {
	jobID string
	at    time.Time
}

// Claim reserves message id; see mail.Ledger.
func (s *Store) Claim(_ context.Context, id string, now time.Time, lease time.Duration) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			switch e, ok := s.ledger[id]; {
			case !ok:
				return nil
			case e.sent:
				return outbox.ErrAlreadySent
			case now.Before(e.lease):
				return outbox.ErrInFlight
			}
			return nil // the lease of a sender that died ran out
		})
		t.change(func() { s.ledger[id] = ledgerEntry{lease: now.Add(lease)} })
	})
}

// MarkSent records that message id went out.
func (s *Store) MarkSent(_ context.Context, id string, _ time.Time) error {
	return s.write(func(t *tx) { t.change(func() { s.ledger[id] = ledgerEntry{sent: true} }) })
}

// Sent reports whether message id went out (or its job finished).
func (s *Store) Sent(_ context.Context, id string) (bool, error) {
	return locked(s, func() (bool, error) { return s.ledger[id].sent, nil })
}

// Release gives up a claim that did not lead to a sent mail; a sent
// message stays sent.
func (s *Store) Release(_ context.Context, id string) error {
	return s.write(func(t *tx) {
		t.change(func() {
			if e, ok := s.ledger[id]; ok && !e.sent {
				delete(s.ledger, id)
			}
		})
	})
}

// Suppressed reports whether an address must not be mailed.
func (s *Store) Suppressed(_ context.Context, addressKey string) (bool, error) {
	return locked(s, func() (bool, error) { return s.suppressed[addressKey], nil })
}

// Suppress records that an address hard-bounced or complained.
func (s *Store) Suppress(_ context.Context, addressKey, _ string, _ time.Time) error {
	return s.write(func(t *tx) { t.change(func() { s.suppressed[addressKey] = true }) })
}

// ClaimResend; see verification.LinkStore.
func (s *Store) ClaimResend(_ context.Context, emailKey, jobID string, now time.Time, every time.Duration) (bool, error) {
	return s.claimInterval("resend:"+emailKey, jobID, now, every)
}

// ClaimNotice; see registration.CompletionStore.
func (s *Store) ClaimNotice(_ context.Context, emailKey, jobID string, now time.Time, every time.Duration) (bool, error) {
	return s.claimInterval("notice:"+emailKey, jobID, now, every)
}

// claimInterval passes when nobody claimed k within every before now, or
// when jobID did (its own retry).
func (s *Store) claimInterval(k, jobID string, now time.Time, every time.Duration) (bool, error) {
	return locked(s, func() (bool, error) {
		if last, ok := s.intervals[k]; ok && last.jobID != jobID && last.at.After(now.Add(-every)) {
			return false, nil
		}
		s.intervals[k] = interval{jobID: jobID, at: now}
		return true, nil
	})
}

// CustomerIDByEmail returns the id of the account holding an email key.
func (s *Store) CustomerIDByEmail(ctx context.Context, emailKey string) (string, error) {
	c, err := s.Login(ctx, "email", emailKey)
	return c.ID, err
}

// IssueLink makes l the live link of an unverified customer whose live link
// is still previous; see verification.LinkStore.
func (s *Store) IssueLink(_ context.Context, customerID string, previous *customer.Link, l customer.Link, voided []string, a customer.Activity) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			c, ok := s.customers[customerID]
			switch {
			case !ok || c.Status != customer.Unverified:
				return verification.ErrConflict
			case previous == nil && c.Link != nil, previous != nil && (c.Link == nil || c.Link.Digest != previous.Digest):
				return verification.ErrConflict
			}
			return nil
		})
		t.change(func() {
			c := s.customers[customerID]
			c.Link, c.VoidedLinks, c.UpdatedAt = &l, voided, s.now()
			s.customers[customerID] = c
			s.log(a)
		})
	})
}

// PendingRegistration returns a pending registration, or
// registration.ErrNotFound.
func (s *Store) PendingRegistration(_ context.Context, id string) (registration.Pending, error) {
	return locked(s, func() (registration.Pending, error) { return found(s.pending, id, registration.ErrNotFound) })
}

// Complete writes a completion atomically; see registration.Completion.
func (s *Store) Complete(_ context.Context, c registration.Completion) error {
	return s.write(func(t *tx) {
		p, cust := c.Registration, c.Customer
		email, username := loginNames(cust)
		t.check(func() error {
			if cur, ok := s.pending[p.ID]; !ok || cur.Outcome != "" {
				return registration.ErrConflict
			}
			return nil
		})
		// reservedUsername: the registration's own reservation of its username.
		reservedUsername := func() error {
			if username != "" && s.keys[username].registrationID != p.ID {
				return registration.ErrConflict
			}
			return nil
		}
		prevUsername := ""
		switch c.Outcome {
		case registration.Created:
			t.check(func() error {
				if _, ok := s.customers[cust.ID]; ok || !s.free(email) {
					return registration.ErrConflict
				}
				return reservedUsername()
			})
		case registration.Replaced:
			prev := c.Previous
			_, prevUsername = loginNames(*prev)
			t.check(func() error {
				cur, ok := s.customers[cust.ID]
				if !ok || cur.Status != customer.Unverified || !cur.UpdatedAt.Equal(prev.UpdatedAt) ||
					cur.ReceivedAt.After(cust.ReceivedAt) {
					return registration.ErrConflict
				}
				if username != prevUsername {
					return reservedUsername()
				}
				return nil
			})
			cust.Registered = prev.Registered
		}
		t.change(func() {
			s.pending[p.ID] = registration.Pending{ID: p.ID, AccountID: p.AccountID, JobID: p.JobID, CreatedAt: p.CreatedAt,
				ExpiresAt: p.ExpiresAt, Outcome: c.Outcome, CustomerID: cust.ID}
			if c.Outcome == registration.Created || c.Outcome == registration.Replaced {
				s.customers[cust.ID] = cust
				s.keys[email] = holder(cust)
				if prevUsername != "" && prevUsername != username {
					s.dropKey(prevUsername)
				}
				if username != "" {
					s.keys[username] = holder(cust)
				}
			}
			s.registered(c.Consents, c.Subscriptions, c.Activity, c.Outbox, c.Events)
		})
		t.handOver(c.HandOver)
	})
}
