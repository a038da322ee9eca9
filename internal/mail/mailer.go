package mail

import (
	"context"
	"fmt"
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

// Mailer renders queued messages and sends them.
type Mailer struct {
	templates *Templates
	sender    Sender
	from      string
	storeName string
}

// NewMailer returns a Mailer sending from the given address.
func NewMailer(t *Templates, s Sender, from, storeName string) *Mailer {
	return &Mailer{templates: t, sender: s, from: from, storeName: storeName}
}

// Deliver renders and sends one message.
func (m *Mailer) Deliver(ctx context.Context, msg Message) error {
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("mail: invalid message %s: %w", msg.ID, err)
	}
	r, err := m.templates.Render(msg, m.storeName)
	if err != nil {
		return err
	}
	return m.sender.Send(ctx, Email{
		From: m.from, To: msg.To, Subject: r.Subject, HTML: r.HTML, Text: r.Text,
		Tags: map[string]string{"kind": string(msg.Kind), "message_id": msg.ID},
	})
}
