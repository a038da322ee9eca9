package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// Kind names a mail template or a job.
type Kind string

// Message is the envelope every mail and job travels in, through the
// outbox and the queue: who it is for, when it was made, and one Content
// value whose type says what it is. ID identifies the message for its whole
// life (outbox key, queue deduplication, ledger, logs).
type Message struct {
	ID        string
	CreatedAt time.Time
	// To is the mail's recipient; a job has none (it finds its recipient
	// when it runs).
	To      Recipient
	Content Content
}

// Concerns is the customer a message is about: its recipient, or the
// customer a notice to someone else (the store owner) or a job is about
// ("" when none). The outbox keeps the message in that customer's
// partition, so erasing the customer finds it.
func (m Message) Concerns() string {
	if m.To.CustomerID != "" {
		return m.To.CustomerID
	}
	if a, ok := m.Content.(interface{ about() string }); ok {
		return a.about()
	}
	return ""
}

// Address is the address a job names as typed by whoever asked (a resend or
// reset request), "" for other messages: the outbox keys such a job by the
// address's digest, so erasing the address's account finds it.
func (m Message) Address() string {
	if a, ok := m.Content.(interface{ typedAddress() string }); ok {
		return a.typedAddress()
	}
	return ""
}

// New returns a message.
func New(id string, now time.Time, to Recipient, c Content) Message {
	return Message{ID: id, CreatedAt: now.UTC(), To: to, Content: c}
}

// Recipient is who a mail goes to, and the few facts about them the
// templates use.
type Recipient struct {
	Email      string `json:"email,omitempty"`
	Language   string `json:"language,omitempty"`
	StoreID    string `json:"storeId,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
}

// To addresses a mail to a customer, in the customer's language.
func To(c customer.Customer) Recipient {
	return Recipient{Email: c.Email, Language: c.Language, StoreID: c.StoreID, CustomerID: c.ID,
		FirstName: c.Profile.FirstName, LastName: c.Profile.LastName}
}

// Content is the kind-specific part of a message: one type per kind.
type Content interface {
	Kind() Kind
	check() error
}

// A job is content that is not a mail but work for the mailer, which turns
// it into a mail (or decides none is due) off the request path, so the
// answer to the request that queued it reveals nothing. Jobs carry ids,
// never a link or token: the mailer mints a link's token as it sends it, so
// no plain token is ever at rest in the table, the outbox, a queue or a
// dead-letter queue.
type job interface {
	Content
	isJob()
}

// IsJob reports whether m is a job rather than a mail.
func (m Message) IsJob() bool {
	_, ok := m.Content.(job)
	return ok
}

// Kind is the kind of m's content ("" when it has none).
func (m Message) Kind() Kind {
	if m.Content == nil {
		return ""
	}
	return m.Content.Kind()
}

// Validate rejects a message the mailer could not handle.
func (m Message) Validate() error {
	var errs []error
	if m.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	switch {
	case m.Content == nil:
		errs = append(errs, errors.New("content is missing"))
	case m.IsJob():
		if m.To != (Recipient{}) {
			errs = append(errs, errors.New("a job has no recipient"))
		}
	case m.To.Email == "":
		errs = append(errs, errors.New("to is empty"))
	}
	if m.Content != nil {
		if err := m.Content.check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Content.Kind(), err))
		}
	}
	return errors.Join(errs...)
}

// wire is a message as JSON: the content under the kind that names its type.
type wire struct {
	ID        string          `json:"id"`
	Kind      Kind            `json:"kind"`
	CreatedAt time.Time       `json:"createdAt"`
	To        *Recipient      `json:"to,omitempty"`
	Content   json.RawMessage `json:"content"`
}

// Encode returns the message as the JSON body used on the queue.
func (m Message) Encode() (string, error) {
	if m.Content == nil {
		return "", errors.New("mail: encode: message has no content")
	}
	content, err := json.Marshal(m.Content)
	if err != nil {
		return "", fmt.Errorf("mail: encode %s: %w", m.Kind(), err)
	}
	w := wire{ID: m.ID, Kind: m.Kind(), CreatedAt: m.CreatedAt, Content: content}
	if m.To != (Recipient{}) {
		w.To = &m.To
	}
	b, err := json.Marshal(w)
	return string(b), err
}

// Decode reads a queue body.
func Decode(body string) (Message, error) {
	var w wire
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return Message{}, fmt.Errorf("mail: decode message: %w", err)
	}
	decode, ok := contents[w.Kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: decode message: unknown kind %q", w.Kind)
	}
	c, err := decode(w.Content)
	if err != nil {
		return Message{}, fmt.Errorf("mail: decode %s content: %w", w.Kind, err)
	}
	m := Message{ID: w.ID, CreatedAt: w.CreatedAt, Content: c}
	if w.To != nil {
		m.To = *w.To
	}
	return m, m.Validate()
}

// contents maps each kind to the decoder of its content type.
var contents = map[Kind]func(json.RawMessage) (Content, error){
	EmailValidation:       decodeAs[Validation],
	AccountExists:         decodeAs[AccountExistsNotice],
	Welcome:               decodeAs[WelcomeMail],
	StoreOwnerNewCustomer: decodeAs[NewCustomerNotice],
	ResendVerification:    decodeAs[ResendJob],
	CompleteRegistration:  decodeAs[CompleteRegistrationJob],
	VerificationLink:      decodeAs[VerificationLinkJob],
}

func decodeAs[T Content](raw json.RawMessage) (Content, error) {
	var c T
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	err := json.Unmarshal(raw, &c)
	return c, err
}

// ContentOf returns m's content as a T, or an error when m is of another
// kind: a job handler registered for the wrong kind fails loudly.
func ContentOf[T Content](m Message) (T, error) {
	c, ok := m.Content.(T)
	if !ok {
		var want T
		return want, fmt.Errorf("mail: message %s is %q, not %q", m.ID, m.Kind(), want.Kind())
	}
	return c, nil
}
