package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// Email is one outgoing email.
type Email struct {
	From    string
	To      string
	Subject string
	HTML    string
	Text    string
	// Tags label the email for the provider's event stream (kind, message id).
	Tags map[string]string
}

// Sender delivers an email (SES in production).
type Sender interface {
	Send(ctx context.Context, e Email) error
}

// Errors of a Ledger's Claim.
var (
	// ErrAlreadySent: the message was mailed before; this is a duplicate.
	ErrAlreadySent = errors.New("mail: message already sent")
	// ErrInFlight: another delivery of the same message holds the claim
	// right now; try again after its lease.
	ErrInFlight = errors.New("mail: message is being sent by another worker")
)

// Ledger remembers which messages went out, so a message the queue delivers
// twice is mailed once, and which addresses must not be mailed at all.
type Ledger interface {
	// Claim reserves message id for one sender until now+lease; a claim
	// whose lease ran out can be taken over (its sender died).
	Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error
	// MarkSent records that message id was handed to the provider.
	MarkSent(ctx context.Context, id string, now time.Time) error
	// Release gives up a claim after a failed send, so a retry can send.
	Release(ctx context.Context, id string) error
	// Suppressed reports whether an address (normalised) hard-bounced or
	// complained and must not be mailed again.
	Suppressed(ctx context.Context, addressKey string) (bool, error)
}

// Mailer renders queued messages and sends each at most once.
type Mailer struct {
	templates *Templates
	sender    Sender
	ledger    Ledger
	from      string
	storeName string
	now       func() time.Time
	log       *slog.Logger
}

// MailerDeps are the collaborators of a Mailer.
type MailerDeps struct {
	Templates *Templates
	Sender    Sender
	Ledger    Ledger
	From      string
	StoreName string
	Now       func() time.Time
	Log       *slog.Logger
}

// NewMailer returns a Mailer.
func NewMailer(d MailerDeps) *Mailer {
	return &Mailer{templates: d.Templates, sender: d.Sender, ledger: d.Ledger, from: d.From,
		storeName: d.StoreName, now: d.Now, log: d.Log}
}

// claimLease outlasts one send attempt (the mailer's timeout is 30 s); a
// claim older than this belongs to a sender that died.
const claimLease = 2 * time.Minute

// Deliver renders and sends one message, unless it was sent before or its
// address is suppressed; both of those are successes, not errors. Any error
// leaves the message free to be retried.
func (m *Mailer) Deliver(ctx context.Context, msg Message) error {
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("mail: invalid message %s: %w", msg.ID, err)
	}
	switch err := m.ledger.Claim(ctx, msg.ID, m.now(), claimLease); {
	case errors.Is(err, ErrAlreadySent):
		m.log.InfoContext(ctx, "duplicate delivery dropped", "messageId", msg.ID, "kind", msg.Kind())
		return nil
	case err != nil:
		return err
	}
	return m.sendClaimed(ctx, msg)
}

// sendClaimed sends a message whose ledger claim the caller holds, and
// settles the claim: sent (or suppressed), or released for a retry.
func (m *Mailer) sendClaimed(ctx context.Context, msg Message) error {
	if err := msg.Validate(); err != nil {
		m.release(ctx, msg.ID)
		return fmt.Errorf("mail: invalid message %s: %w", msg.ID, err)
	}
	suppressed, err := m.ledger.Suppressed(ctx, customer.NormalizeLogin(msg.To.Email))
	if err != nil {
		m.release(ctx, msg.ID)
		return err
	}
	if suppressed {
		m.log.InfoContext(ctx, "mail not sent: address suppressed after a bounce or complaint", "messageId", msg.ID, "kind", msg.Kind())
		m.settle(ctx, msg.ID)
		return nil
	}
	r, err := m.templates.Render(msg, m.storeName)
	if err != nil {
		m.release(ctx, msg.ID)
		return err
	}
	if err := m.sender.Send(ctx, Email{
		From: m.from, To: msg.To.Email, Subject: r.Subject, HTML: r.HTML, Text: r.Text,
		Tags: map[string]string{"kind": string(msg.Kind()), "message_id": msg.ID},
	}); err != nil {
		m.release(ctx, msg.ID)
		return err
	}
	m.settle(ctx, msg.ID)
	m.log.InfoContext(ctx, "mail sent", "messageId", msg.ID, "kind", msg.Kind(), "customerId", msg.To.CustomerID)
	return nil
}

// settle marks a claim done. The work is done; failing now would make SQS
// redeliver it and, once the claim expires, do it twice; log and succeed.
func (m *Mailer) settle(ctx context.Context, id string) {
	if err := m.ledger.MarkSent(ctx, id, m.now()); err != nil {
		m.log.WarnContext(ctx, "message handled but not recorded as done", "messageId", id, "error", err)
	}
}

// release gives up a claim so a retry can take it; if that fails, the claim
// expires on its own and the retry waits for it.
func (m *Mailer) release(ctx context.Context, id string) {
	if err := m.ledger.Release(ctx, id); err != nil {
		m.log.WarnContext(ctx, "could not release mail claim", "messageId", id, "error", err)
	}
}

// Job turns a queued job into the mail to send, or reports that none is due.
// Prepare runs while the worker holds the job's ledger claim, so two
// deliveries of one job never prepare at once, and a job that was done is
// never prepared again (preparing mints a link, which voids the last one).
type Job interface {
	Prepare(ctx context.Context, job Message) (Message, bool, error)
}

// Worker is what the mailer function runs for each queue message: mails are
// delivered, jobs are prepared first.
type Worker struct {
	mailer *Mailer
	jobs   map[Kind]Job
}

// NewWorker returns a Worker that prepares jobs of the given kinds.
func NewWorker(m *Mailer, jobs map[Kind]Job) *Worker { return &Worker{mailer: m, jobs: jobs} }

// Deliver handles one queue message. A job and the mail it turns into share
// one ledger entry, under the job's id: the claim is taken before the job is
// prepared and settled when its mail is sent (or when none is due).
func (w *Worker) Deliver(ctx context.Context, msg Message) error {
	if !msg.IsJob() {
		return w.mailer.Deliver(ctx, msg)
	}
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("mail: invalid job %s: %w", msg.ID, err)
	}
	job, ok := w.jobs[msg.Kind()]
	if !ok {
		return fmt.Errorf("mail: no handler for job %s of kind %s", msg.ID, msg.Kind())
	}
	m := w.mailer
	switch err := m.ledger.Claim(ctx, msg.ID, m.now(), claimLease); {
	case errors.Is(err, ErrAlreadySent):
		m.log.InfoContext(ctx, "duplicate job dropped", "jobId", msg.ID, "kind", msg.Kind())
		return nil
	case err != nil:
		return err
	}
	out, due, err := job.Prepare(ctx, msg)
	if err != nil {
		m.release(ctx, msg.ID)
		return err
	}
	if !due {
		m.settle(ctx, msg.ID)
		return nil
	}
	out.ID = msg.ID
	return m.sendClaimed(ctx, out)
}
