package deliverability

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
)

// Store records suppressions and marks the accounts they concern.
type Store interface {
	// Suppress records that an address (normalised) must not be mailed.
	Suppress(ctx context.Context, addressKey, reason string, at time.Time) error
	// CustomerIDByEmail is the id of the account with the address;
	// customer.ErrNotFound when none.
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// Update writes one change of an account; account.ErrConflict when it
	// changed since it was read.
	Update(ctx context.Context, u account.Update) error
}

// Notification is what the mail provider reported about a sent mail.
type Notification struct {
	// Type is "Bounce" or "Complaint" (other events are ignored).
	Type string
	// BounceType is "Permanent", "Transient" or "Undetermined" for bounces.
	BounceType string
	Recipients []string
}

// status is the account's EmailStatus a notification leads to; "" when
// it changes nothing.
func (n Notification) status() customer.EmailStatus {
	switch {
	case n.Type == "Bounce" && n.BounceType == "Permanent":
		return customer.EmailBounced
	case n.Type == "Complaint":
		return customer.EmailComplained
	}
	return ""
}

// Service acts on bounces and complaints.
type Service struct {
	store  Store
	random io.Reader
	now    func() time.Time
	log    *slog.Logger
}

// New returns a Service.
func New(s Store, random io.Reader, now func() time.Time, log *slog.Logger) *Service {
	return &Service{store: s, random: random, now: now, log: log}
}

// Record handles one notification: each recipient's address is suppressed
// and its account marked. An error leaves the notification to be retried
// whole (each step is idempotent).
func (s *Service) Record(ctx context.Context, n Notification) error {
	status := n.status()
	if status == "" {
		// Transient bounces (mailbox full, greylisting) resolve themselves.
		s.log.InfoContext(ctx, "mail feedback ignored", "type", n.Type, "bounceType", n.BounceType)
		return nil
	}
	for _, r := range n.Recipients {
		key := customer.NormalizeLogin(r)
		if key == "" || !strings.Contains(key, "@") {
			continue
		}
		if err := s.store.Suppress(ctx, key, string(status), s.now().UTC()); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "address suppressed", "reason", status)
		if err := s.mark(ctx, key, status); err != nil {
			return err
		}
	}
	return nil
}

// mark sets the EmailStatus of the account with the address, if any, with
// its activity entry and event, reading again when the account changed
// meanwhile.
func (s *Service) mark(ctx context.Context, key string, status customer.EmailStatus) error {
	id, err := s.store.CustomerIDByEmail(ctx, key)
	if errors.Is(err, customer.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for range 3 {
		c, err := s.store.Customer(ctx, id)
		if errors.Is(err, customer.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// The address moved on since (a report about the old one), the
		// account is erased, or it is marked already.
		if customer.NormalizeLogin(c.Email) != key || c.Status == customer.Deleted || c.EmailStatus == status {
			return nil
		}
		now := s.now().UTC()
		after := c
		after.EmailStatus, after.UpdatedAt = status, now
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.EmailUndeliverable, Changes: map[string]any{"emailStatus": string(status)}})
		if err != nil {
			return apperr.Wrap(apperr.Internal, "Could not mark the address.", err)
		}
		a := customer.Activity{CustomerID: c.ID, Type: customer.ActivityEmailUndeliverable, At: now, Detail: map[string]string{"emailStatus": string(status)}}
		err = s.store.Update(ctx, account.Update{Before: c, After: after, Activity: &a, Events: evs})
		if !errors.Is(err, account.ErrConflict) {
			if err == nil {
				s.log.InfoContext(ctx, "account's address marked undeliverable", "customerId", c.ID, "emailStatus", status)
			}
			return err
		}
	}
	return errors.New("deliverability: the account kept changing; the report is retried")
}
