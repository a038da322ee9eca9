package registration

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
)

// MailStatus is what became of the mail a registration caused, as
// GET /v1/registrations/{id} answers it.
type MailStatus string

// The mail statuses.
const (
	// MailPending: the mailer has not completed the registration, or its
	// mail has not gone out yet.
	MailPending MailStatus = "pending"
	// MailSent: SES took the mail (or none was due: an earlier mail to the
	// address covers the registration).
	MailSent MailStatus = "sent"
	// MailBounced, MailComplained: the address hard-bounced or complained
	// (now or before); no mail reaches it.
	MailBounced    MailStatus = "bounced"
	MailComplained MailStatus = "complained"
)

// StatusLifetime is how long a registration's mail status can be asked.
const StatusLifetime = 24 * time.Hour

// registrationID is the shape of a registration id (customer.NewID).
var registrationID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// MailStatus tells the storefront what became of the mail of the
// registration it was answered id for, so it can say "the mail to
// ada@gmial.com bounced: check the address". It reads the same items and
// answers the same whether the address was new or had an account: a mail
// goes out either way (the link, or the owner's notice), and a bounce is
// the address's, not the account's. An unknown id, or one over
// StatusLifetime old, is not_found.
func (s *Service) MailStatus(ctx context.Context, id string) (MailStatus, error) {
	gone := apperr.New(apperr.NotFound, "No such registration, or it is over 24 hours old.")
	if !registrationID.MatchString(id) {
		return "", gone
	}
	p, err := s.store.PendingRegistration(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", gone
	}
	if err != nil {
		return "", err
	}
	if p.CreatedAt.IsZero() || s.now().Sub(p.CreatedAt) > StatusLifetime {
		return "", gone
	}
	if p.Outcome == "" {
		return MailPending, nil
	}
	if p.JobID != "" {
		sent, err := s.store.Sent(ctx, p.JobID)
		if err != nil || !sent {
			return MailPending, err
		}
	}
	c, err := s.store.Customer(ctx, p.CustomerID)
	if errors.Is(err, customer.ErrNotFound) {
		return MailSent, nil // erased since
	}
	if err != nil {
		return "", err
	}
	switch c.EmailStatus {
	case customer.EmailBounced:
		return MailBounced, nil
	case customer.EmailComplained:
		return MailComplained, nil
	}
	// An address that bounced before the account existed is not mailed at
	// all (the mailer settles the job as done).
	suppressed, err := s.store.Suppressed(ctx, customer.NormalizeLogin(c.Email))
	if err != nil {
		return "", err
	}
	if suppressed {
		return MailBounced, nil
	}
	return MailSent, nil
}
