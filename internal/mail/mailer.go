package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/outbox"
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

// Ledger remembers which messages went out (outbox.Ledger), and which
// addresses must not be mailed at all.
type Ledger interface {
	outbox.Ledger
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

// Deliver renders and sends one message, unless it was sent before or its
// address is suppressed; both of those are successes, not errors. Any error
// leaves the message free to be retried.
func (m *Mailer) Deliver(ctx context.Context, msg outbox.Message) error {
	if err := valid(msg); err != nil {
		return err
	}
	switch err := m.ledger.Claim(ctx, msg.ID, m.now(), outbox.ClaimLease); {
	case errors.Is(err, outbox.ErrAlreadySent):
		m.log.InfoContext(ctx, "duplicate delivery dropped", "messageId", msg.ID, "kind", msg.Kind())
		return nil
	case err != nil:
		return err
	}
	return m.SendClaimed(ctx, msg)
}

// valid rejects a message the mailer cannot send: one that fails its own
// checks, is not a mail, or has no recipient.
func valid(msg outbox.Message) error {
	err := msg.Validate()
	if _, ok := msg.Content.(mailContent); !ok && msg.Content != nil {
		err = errors.Join(err, fmt.Errorf("%s is not a mail", msg.Kind()))
	}
	if msg.To.Email == "" {
		err = errors.Join(err, errors.New("to is empty"))
	}
	if err != nil {
		return fmt.Errorf("mail: invalid message %s: %w", msg.ID, err)
	}
	return nil
}

// SendClaimed sends a message whose ledger claim the caller holds, and
// settles the claim: sent (or suppressed), or released for a retry.
func (m *Mailer) SendClaimed(ctx context.Context, msg outbox.Message) error {
	if err := valid(msg); err != nil {
		m.release(ctx, msg.ID)
		return err
	}
	suppressed, err := m.suppressed(ctx, msg)
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

// suppressed reports whether msg must not go out: its address
// hard-bounced or complained. An address-change link is the exception: the
// customer asked to move to the address, and following the link is what
// proves mail to it arrives again (which lifts the suppression).
func (m *Mailer) suppressed(ctx context.Context, msg outbox.Message) (bool, error) {
	if msg.Kind() == EmailChangeConfirm {
		return false, nil
	}
	return m.ledger.Suppressed(ctx, customer.NormalizeLogin(msg.To.Email))
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
