// Package mail holds the mail messages the service sends, the templates that
// render them, and the mailer use case that turns a queued message into a
// sent email. Producers (registration, verification) never render mail; they
// record a Message in the outbox and the mailer renders it, so a template fix
// reaches every queued mail.
package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kind names a mail template.
type Kind string

// The mails of the core flow.
const (
	// EmailValidation carries the double opt-in link.
	EmailValidation Kind = "email_validation"
	// AccountExists tells the owner of an address that someone tried to
	// register it again; it keeps the 202 answer from revealing accounts.
	AccountExists Kind = "account_exists"
	// Welcome greets a customer whose account became active.
	Welcome Kind = "welcome"
	// StoreOwnerNewCustomer tells the store owner about a registration.
	StoreOwnerNewCustomer Kind = "store_owner_new_customer"

	// ResendVerification is not a mail but a job on the mail queue: a
	// customer asked for a new verification link. The mailer decides, off
	// the request path, whether one is due (so the answer to the request
	// reveals nothing) and then sends an EmailValidation mail.
	ResendVerification Kind = "resend_verification"
	// CompleteRegistration is a job too: a registration under double opt-in
	// or approval was stored as pending. The mailer decides, off the
	// request path, what it is: a new account (it gets a link), a
	// replacement of an account that never confirmed its address (the new
	// registration wins, and gets a new link), or an attempt on a verified
	// account (its owner gets an AccountExists notice). The request looked
	// nothing up, so its answer is the same in every case.
	CompleteRegistration Kind = "complete_registration"
	// VerificationLink is a job: a customer whose address is not verified
	// yet signed in with the right password; the mailer mails a fresh link
	// if none went out within the resend interval.
	VerificationLink Kind = "verification_link"
)

// IsJob reports whether a queue message is a job that turns into a mail in
// the mailer, rather than a mail. Jobs carry ids, never a link or token:
// the mailer mints a link's token as it sends it, so no plain token is ever
// at rest in the table, the outbox, a queue or a dead-letter queue.
func (k Kind) IsJob() bool {
	return k == ResendVerification || k == CompleteRegistration || k == VerificationLink
}

// Message is one mail to send, as it travels through the outbox and the
// queue. ID identifies the message for its whole life (outbox key, queue
// deduplication, logs).
type Message struct {
	ID         string `json:"id"`
	Kind       Kind   `json:"kind"`
	To         string `json:"to"`
	Language   string `json:"language"`
	StoreID    string `json:"storeId"`
	CustomerID string `json:"customerId"`
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	// Link is the action link of the mail (the verification URL), if any.
	Link string `json:"link,omitempty"`
	// About describes the customer a store-owner notification is about.
	About *Subject `json:"about,omitempty"`
	// RegistrationID names the pending registration of a
	// CompleteRegistration job.
	RegistrationID string `json:"registrationId,omitempty"`
	// SourceIP is the client address of the request behind a job, for the
	// owner's activity log.
	SourceIP  string    `json:"sourceIp,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Subject is the customer a notification to someone else is about.
type Subject struct {
	Email            string `json:"email"`
	FirstName        string `json:"firstName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	Company          string `json:"company,omitempty"`
	RegistrationType string `json:"registrationType"`
}

// Validate rejects a message the mailer could not render.
func (m Message) Validate() error {
	var errs []error
	if m.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if m.To == "" && m.Kind != CompleteRegistration && m.Kind != VerificationLink {
		errs = append(errs, errors.New("to is empty"))
	}
	if m.Kind.IsJob() && m.Link != "" {
		errs = append(errs, errors.New("a job must not carry a link"))
	}
	switch m.Kind {
	case EmailValidation:
		if m.Link == "" {
			errs = append(errs, errors.New("email_validation needs a link"))
		}
	case CompleteRegistration:
		if m.RegistrationID == "" {
			errs = append(errs, errors.New("complete_registration needs a registration id"))
		}
	case VerificationLink:
		if m.CustomerID == "" {
			errs = append(errs, errors.New("verification_link needs a customer id"))
		}
	case AccountExists, Welcome, ResendVerification:
	case StoreOwnerNewCustomer:
		if m.About == nil || m.About.Email == "" {
			errs = append(errs, errors.New("store_owner_new_customer needs the customer it is about"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown kind %q", m.Kind))
	}
	return errors.Join(errs...)
}

// Encode returns the message as the JSON body used on the queue.
func (m Message) Encode() (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// Decode reads a queue body.
func Decode(body string) (Message, error) {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return Message{}, fmt.Errorf("mail: decode message: %w", err)
	}
	return m, m.Validate()
}
