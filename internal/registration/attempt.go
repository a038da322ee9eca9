package registration

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
)

// AttemptStore is what the owner notice needs.
type AttemptStore interface {
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	AddActivity(ctx context.Context, a customer.Activity) error
	// ClaimNotice lets job tell the owner of emailKey unless another job
	// did within interval (a retry of the same job passes).
	ClaimNotice(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
}

// NoticeInterval is the least time between two "someone tried to register
// with your address" mails to one address: enough to warn the owner, too
// few to flood them.
const NoticeInterval = time.Hour

// Notifier is the mailer's half of a registration attempt on a taken
// address: it finds the owner, logs the attempt on their account and
// prepares the "someone tried to register with your address" mail.
type Notifier struct {
	store AttemptStore
	now   func() time.Time
	log   *slog.Logger
}

// NewNotifier returns a Notifier.
func NewNotifier(store AttemptStore, now func() time.Time, log *slog.Logger) *Notifier {
	return &Notifier{store: store, now: now, log: log}
}

var _ mail.Job = (*Notifier)(nil)

// Prepare turns a RegistrationAttempt job into the owner's mail.
func (n *Notifier) Prepare(ctx context.Context, job mail.Message) (mail.Message, bool, error) {
	id, err := n.store.CustomerIDByEmail(ctx, customer.NormalizeLogin(job.To))
	if errors.Is(err, customer.ErrNotFound) {
		return mail.Message{}, false, nil // the account went away meanwhile
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	owner, err := n.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	if err := n.store.AddActivity(ctx, customer.Activity{CustomerID: owner.ID, Type: customer.ActivityRegisterAgain,
		At: job.CreatedAt, Detail: map[string]string{"sourceIp": job.SourceIP}}); err != nil {
		// The notice matters more than the log line; a retry would log twice.
		n.log.WarnContext(ctx, "activity log write failed", "customerId", owner.ID, "error", err)
	}
	fresh, err := n.store.ClaimNotice(ctx, customer.NormalizeLogin(owner.Email), job.ID, n.now(), NoticeInterval)
	if err != nil {
		return mail.Message{}, false, err
	}
	if !fresh {
		n.log.InfoContext(ctx, "owner notice skipped: one went out within the hour", "customerId", owner.ID, "jobId", job.ID)
		return mail.Message{}, false, nil
	}
	return mail.Message{
		// Derived from the job, so a redelivered job sends one mail.
		ID: job.ID + "-notice", Kind: mail.AccountExists, To: owner.Email, Language: owner.Language,
		StoreID: owner.StoreID, CustomerID: owner.ID, FirstName: owner.Profile.FirstName, LastName: owner.Profile.LastName,
		CreatedAt: n.now().UTC(),
	}, true, nil
}
