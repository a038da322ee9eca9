package admin

import (
	"context"
	"errors"
	"slices"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/session"
)

func invalidState(msg string) error { return apperr.New(apperr.InvalidState, msg) }

// change applies an operator's change to a customer, reading again when
// another change came first.
func (s *Service) change(ctx context.Context, id string, f func(c customer.Customer) (account.Update, bool, error)) (customer.Customer, error) {
	for attempt := 0; attempt < 3; attempt++ {
		c, err := s.customer(ctx, id)
		if err != nil {
			return customer.Customer{}, err
		}
		u, write, err := f(c)
		if err != nil || !write {
			return c, err
		}
		u.Before = c
		u.After.UpdatedAt = customer.Later(s.now().UTC(), c.UpdatedAt)
		err = s.store.Update(ctx, u)
		if errors.Is(err, account.ErrConflict) {
			continue
		}
		return u.After, err
	}
	return customer.Customer{}, apperr.New(apperr.Unavailable, "The customer kept changing; try again.")
}

// Approve approves a customer under AdminApproval. A customer who is both
// unverified and unapproved needs both: approving first leaves the account
// Unverified (its confirmation then activates it and sends the welcome);
// approving one whose address is verified activates it and sends the
// welcome. The welcome goes out exactly once, with the second of the two.
// Approving an approved, active customer changes nothing.
func (s *Service) Approve(ctx context.Context, op Operator, id string) (customer.Customer, error) {
	return s.change(ctx, id, func(c customer.Customer) (account.Update, bool, error) {
		now := s.now().UTC()
		after := c
		u := account.Update{Activity: entry(c, customer.ActivityApproved, op, now)}
		specs := []event.Spec{{Type: event.Approved, Changes: map[string]any{}}}
		switch {
		case c.Status == customer.PendingApproval:
			after.Status, after.RequiresApproval = customer.Active, false
			welcome, err := s.mail(c, mail.WelcomeMail{})
			if err != nil {
				return account.Update{}, false, err
			}
			u.Outbox = []outbox.Message{welcome}
			specs = append(specs, event.Spec{Type: event.Activated, Changes: map[string]any{"status": string(customer.Active)}})
		case c.Status == customer.Unverified && c.RequiresApproval:
			after.RequiresApproval = false
		case c.Status == customer.Unverified || c.Status == customer.Active:
			return account.Update{}, false, nil // nothing to approve
		default:
			return account.Update{}, false, invalidState("A deactivated customer cannot be approved; nothing was changed.")
		}
		specs[0].Changes["status"] = string(after.Status)
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, specs...)
		if err != nil {
			return account.Update{}, false, apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		u.After, u.Events = after, evs
		return u, true, nil
	})
}

// Deactivate switches a customer off: every session ends at once and
// sign-in answers like a wrong password.
func (s *Service) Deactivate(ctx context.Context, op Operator, id string) (customer.Customer, error) {
	return s.change(ctx, id, func(c customer.Customer) (account.Update, bool, error) {
		if c.Status == customer.Deactivated {
			return account.Update{}, false, nil
		}
		now := s.now().UTC()
		after := c
		after.Status, after.SessionsValidFrom, after.KeptSession = customer.Deactivated, now, ""
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.SignedOut, Changes: map[string]any{"scope": "everywhere"}})
		if err != nil {
			return account.Update{}, false, apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		return account.Update{After: after, Activity: entry(c, customer.ActivityDeactivated, op, now), Events: evs}, true, nil
	})
}

func (s *Service) mail(c customer.Customer, content outbox.Content) (outbox.Message, error) {
	id, err := s.id()
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.New(id, s.now(), outbox.To(c), content), nil
}

// ResendVerification queues a fresh verification link for an unverified
// customer (the mailer holds it to one per resend interval).
func (s *Service) ResendVerification(ctx context.Context, op Operator, id string) error {
	c, err := s.customer(ctx, id)
	if err != nil {
		return err
	}
	if c.Status != customer.Unverified {
		return invalidState("The customer's address is verified already.")
	}
	jobID, err := s.id()
	if err != nil {
		return err
	}
	job := outbox.New(jobID, s.now(), outbox.Recipient{}, account.VerificationLinkJob{CustomerID: c.ID, StoreID: c.StoreID, Invitation: c.PasswordHash == ""})
	return s.store.Enqueue(ctx, job, nil)
}

// Impersonate starts a session that acts as the customer and names the
// operator on everything it does. Only an active customer can be
// impersonated; the session cannot change the password or the address or
// delete the account, and DELETE /v1/sessions/current ends it without
// touching the customer's own sessions.
func (s *Service) Impersonate(ctx context.Context, op Operator, id string) (session.Issued, error) {
	c, err := s.customer(ctx, id)
	if err != nil {
		return session.Issued{}, err
	}
	if !c.CanSignIn() {
		return session.Issued{}, invalidState("Only an active customer can be impersonated.")
	}
	issued, sess, err := s.sessions.New(c.ID, false, session.Client{UserAgent: "Back office"})
	if err != nil {
		return session.Issued{}, err
	}
	now := s.now().UTC()
	if end := now.Add(ImpersonationLifetime).Truncate(1e9); end.Before(sess.ExpiresAt) {
		sess.ExpiresAt, issued.ExpiresAt = end, end
	}
	sess.ImpersonatedBy = string(op)
	a := entry(c, customer.ActivityImpersonated, op, now)
	if err := s.store.SignInSucceeded(ctx, account.SignIn{Session: &sess, Activity: a, At: now}); err != nil {
		return session.Issued{}, err
	}
	return issued, nil
}

// Activity returns a page of a customer's activity log, newest first.
func (s *Service) Activity(ctx context.Context, id string, limit int, cursor string) (ActivityPage, error) {
	if limit < 1 || limit > MaxPage {
		return ActivityPage{}, apperr.Invalid([]apperr.FieldError{{Field: "limit", Code: "out_of_range", Message: "Limit must be from 1 to 100."}})
	}
	c, err := s.customer(ctx, id)
	if err != nil {
		return ActivityPage{}, err
	}
	p, err := s.store.ActivityPage(ctx, id, limit, cursor)
	if errors.Is(err, ErrBadCursor) {
		return ActivityPage{}, apperr.Invalid([]apperr.FieldError{{Field: "cursor", Code: "invalid_cursor", Message: "This cursor was not made by this list."}})
	}
	if err != nil {
		return ActivityPage{}, err
	}
	if p.Cursor == "" {
		// The account's own entries (kept on the account) are its oldest:
		// they end the last page.
		for _, a := range []*customer.Activity{c.Verification, c.Registered} {
			if a != nil {
				p.Entries = append(p.Entries, *a)
			}
		}
		slices.SortStableFunc(p.Entries, func(a, b customer.Activity) int { return b.At.Compare(a.At) })
	}
	return p, nil
}

// Consents returns a customer's consent log, oldest first.
func (s *Service) Consents(ctx context.Context, id string) ([]customer.ConsentRecord, error) {
	if _, err := s.customer(ctx, id); err != nil {
		return nil, err
	}
	r, err := s.store.Records(ctx, id)
	return r.Consents, err
}
