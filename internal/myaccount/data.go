package myaccount

import (
	"context"
	"slices"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
)

// Export is everything stored about a customer.
type Export struct {
	Customer customer.Customer
	account.Records
	// Subscriptions are the newsletter subscriptions of the customer's
	// address.
	Subscriptions []customer.Subscription
	ExportedAt    time.Time
}

// Export returns everything stored about the signed-in customer (GDPR
// access and portability). An administrator acting as the customer may
// read it too, and that read is logged first (an "exported" entry naming
// the administrator): nobody reads a customer's data unseen.
func (s *Service) Export(ctx context.Context, token string) (Export, error) {
	sess, c, err := s.signedIn(ctx, token)
	if err != nil {
		return Export{}, err
	}
	if sess.ImpersonatedBy != "" {
		err := s.update(ctx, c, allowedBy(sess, ""), func(c customer.Customer, now time.Time) (account.Update, error) {
			return account.Update{After: c, Activity: by(&customer.Activity{CustomerID: c.ID, Type: customer.ActivityExported, At: now,
				Detail: map[string]string{}}, sess)}, nil
		})
		if err != nil {
			return Export{}, err
		}
		if c, err = s.store.Customer(ctx, c.ID); err != nil {
			return Export{}, err
		}
	}
	r, err := s.store.Records(ctx, c.ID)
	if err != nil {
		return Export{}, err
	}
	// The account's own entries are kept on the account; the log is
	// oldest first.
	for _, a := range []*customer.Activity{c.Registered, c.Verification} {
		if a != nil {
			r.Activity = append(r.Activity, *a)
		}
	}
	slices.SortStableFunc(r.Activity, func(a, b customer.Activity) int { return a.At.Compare(b.At) })
	subs, err := s.subscriptionsOf(ctx, c)
	if err != nil {
		return Export{}, err
	}
	return Export{Customer: c, Records: r, Subscriptions: subs, ExportedAt: s.now().UTC()}, nil
}

// Erase deletes the signed-in customer's account after checking the
// password. One conditional write turns the account into a tombstone that
// holds no personal data (id, store, dates), releases its address and
// username, ends every session, and queues the sweep of what else the
// customer left (sessions, activity entries, mails) and the confirmation
// mail. The consent log stays, under the customer id only, as evidence.
func (s *Service) Erase(ctx context.Context, token, pw, sourceIP string) error {
	c, g, err := s.withPassword(ctx, token, pw, sourceIP, func(customer.Customer) apperr.Fields { return needPassword(pw) })
	if err != nil {
		return err
	}
	return s.update(ctx, c, g, func(c customer.Customer, now time.Time) (account.Update, error) {
		sweep := outbox.New("", now, outbox.Recipient{}, ErasureJob{CustomerID: c.ID, AddressDigest: customer.AddressDigest(c.Email)})
		notice := s.mailTo(c, mail.ErasedNotice{})
		tomb := customer.Customer{ID: c.ID, StoreID: c.StoreID, Status: customer.Deleted, CreatedAt: c.CreatedAt,
			SessionsValidFrom: now}
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.Deleted})
		if err != nil {
			return account.Update{}, err
		}
		// The subscriptions name the address: they go with the account.
		have, err := s.subscriptionsOf(ctx, c)
		if err != nil {
			return account.Update{}, err
		}
		// The entry names no address: it says only that the account went.
		return account.Update{After: tomb, Activity: &customer.Activity{CustomerID: c.ID, Type: customer.ActivityDeleted, At: now},
			Outbox: []outbox.Message{sweep, notice}, Events: evs, DropSubscriptions: have}, nil
	})
}

// Sweep runs an ErasureJob: it sweeps the erased customer's items and
// mails nothing (the confirmation travels on its own).
func (l *Links) Sweep(ctx context.Context, _ outbox.Message, e ErasureJob) (*outbox.Message, error) {
	c, err := l.store.Customer(ctx, e.CustomerID)
	if err != nil || c.Status != customer.Deleted {
		return nil, err // never sweep a live account
	}
	_, err = l.store.Sweep(ctx, e.CustomerID, e.AddressDigest)
	return nil, err
}
