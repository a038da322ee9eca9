package myaccount

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
)

// EmailChangePath is the page an address-change mail links to; httpapi
// serves it there.
const EmailChangePath = "/v1/email-change"

// RequestEmailChange asks to move the signed-in customer to newEmail,
// after checking the password. The new address gets a link (minted by the
// mailer), the old one a notice naming the new address masked; the account
// keeps its address, and signs in with it, until the link is used. The
// answer is the same whether or not the new address has an account:
// uniqueness is decided when the link is used.
func (s *Service) RequestEmailChange(ctx context.Context, token, newEmail, pw, sourceIP string) error {
	newEmail = customer.CanonicalEmail(newEmail)
	c, g, err := s.withPassword(ctx, token, pw, sourceIP, func(c customer.Customer) (f apperr.Fields) {
		if code, msg := customer.EmailProblem(newEmail); code != "" {
			f.Add("newEmail", code, msg)
		} else if customer.NormalizeLogin(newEmail) == customer.NormalizeLogin(c.Email) {
			f.Add("newEmail", "unchanged", "This is the account's address already.")
		}
		return append(f, needPassword(pw)...)
	})
	if err != nil {
		return err
	}
	if err := s.emails.Refusal(ctx, "newEmail", newEmail, s.settings.EmailChecks); err != nil {
		return err
	}
	return s.update(ctx, c, g, func(c customer.Customer, now time.Time) (account.Update, error) {
		// The job rides on the activity entry, in the customer's partition,
		// so an erasure finds the new address it names.
		job := outbox.New("", now, outbox.Recipient{}, EmailChangeJob{CustomerID: c.ID, NewEmail: newEmail})
		notice := s.mailTo(c, mail.EmailChangeWarning{MaskedNewEmail: customer.MaskEmail(newEmail)})
		return account.Update{After: c, Activity: activity(c, customer.ActivityEmailChangeRequested, now, sourceIP),
			Outbox: []outbox.Message{job, notice}}, nil
	})
}

// ChangeEmail runs an EmailChangeJob: it mints the link for the new
// address (voiding any earlier one) and returns its mail, addressed to the
// new address.
func (l *Links) ChangeEmail(ctx context.Context, job outbox.Message, j EmailChangeJob) (*outbox.Message, error) {
	c, plain, link, due, err := l.issue(ctx, j.CustomerID, job.ID, job.CreatedAt, l.settings.EmailChangeLifetime,
		func(c customer.Customer) bool {
			// Jobs may run out of order: a request older than the live
			// change leaves it alone (the customer's last word counts).
			// A recovery since the request voids it (recovery is final).
			return c.CanSignIn() && customer.NormalizeLogin(c.Email) != customer.NormalizeLogin(j.NewEmail) &&
				(c.EmailChange == nil || !job.CreatedAt.Before(c.EmailChange.Link.IssuedAt)) &&
				!c.RecoveredSince(job.CreatedAt)
		},
		// The link's life starts with the request it answers.
		func(c *customer.Customer, link customer.Link) error {
			c.EmailChange = &customer.EmailChange{NewEmail: j.NewEmail, Link: link}
			return nil
		})
	if err != nil || !due {
		return nil, err
	}
	to := outbox.To(c)
	to.Email = j.NewEmail
	m := outbox.New("", l.now().UTC(), to, mail.EmailChangeLink{Link: l.url(EmailChangePath, plain), ExpiresAt: link.ExpiresAt})
	return &m, nil
}

// ConfirmEmailChange moves the account to the new address its link names,
// releasing the old address and claiming the new one in one write; 409
// email_taken if another account holds the new address by then.
func (s *Service) ConfirmEmailChange(ctx context.Context, token, sourceIP string) (string, error) {
	id, digest, ok := customer.ParseLinkToken(strings.TrimSpace(token))
	if !ok {
		return "", apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	c, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return "", apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	if err != nil {
		return "", err
	}
	var changedTo string
	err = s.update(ctx, c, grant{}, func(c customer.Customer, now time.Time) (account.Update, error) {
		if c.EmailChange == nil || !c.CanSignIn() {
			return account.Update{}, apperr.New(apperr.TokenInvalid, "This link is not valid; it was used, replaced by a newer one, or never existed.")
		}
		if err := liveLink(&c.EmailChange.Link, digest, now); err != nil {
			return account.Update{}, err
		}
		after := c
		after.Email, after.EmailVerifiedAt = c.EmailChange.NewEmail, now
		// The link reached the new address: mail to it arrives, whatever
		// the old one's fate or the new one's past.
		after.EmailStatus = ""
		// A completed change is a recovery too: a reset link mailed to
		// the old address, and anything else asked for before, is void.
		after.Recover(now)
		changedTo = after.Email
		a := activity(c, customer.ActivityEmailChanged, now, sourceIP)
		a.Detail["from"] = customer.MaskEmail(c.Email)
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.EmailChanged, Changes: map[string]any{"email": after.Email}})
		if err != nil {
			return account.Update{}, err
		}
		// The old address hears of it: if the change was not its owner's,
		// this is how they learn the account moved.
		notice := s.mailTo(c, mail.EmailChangedNotice{MaskedNewEmail: customer.MaskEmail(after.Email)})
		u := account.Update{After: after, Activity: a, Events: evs, Outbox: []outbox.Message{notice},
			LiftSuppression: customer.NormalizeLogin(after.Email)}
		// The subscriptions follow the address, as the seed system's do.
		if customer.NormalizeLogin(after.Email) != customer.NormalizeLogin(c.Email) {
			have, err := s.subscriptionsOf(ctx, c)
			if err != nil {
				return account.Update{}, err
			}
			u.DropSubscriptions, u.Subscriptions = have, customer.Moved(have, after.Email, now)
		}
		return u, nil
	})
	switch {
	case errors.Is(err, account.ErrEmailTaken):
		return "", apperr.New(apperr.EmailTaken, "Another account uses this address now; the change was not made.")
	case apperr.CodeOf(err) == apperr.Unauthenticated:
		return "", apperr.New(apperr.TokenInvalid, "This link is not valid.")
	case err != nil:
		return "", err
	}
	return changedTo, nil
}
