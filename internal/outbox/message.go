package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// Kind names a message's content type: a mail template or a job.
type Kind string

// Content is the kind-specific part of a message: one type per kind.
type Content interface {
	Kind() Kind
	// Check rejects content its handler could not use.
	Check() error
}

// Message is the envelope every mail and job travels in, through the
// outbox and the queue: who it is for, when it was made, and one Content
// value whose type says what it is. ID identifies the message for its whole
// life (outbox key, queue deduplication, ledger, logs).
type Message struct {
	ID        string
	CreatedAt time.Time
	// To is a mail's recipient; a job has none (it finds its recipient
	// when it runs).
	To      Recipient
	Content Content
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

// Concerning is implemented by content about a customer other than its
// recipient: a notice to the store owner, or a job.
type Concerning interface {
	// Concerns is the id of the customer the content is about.
	Concerns() string
}

// TypedAddress is implemented by a job that names an address as typed by
// whoever asked (a resend or reset request), not a customer.
type TypedAddress interface {
	TypedAddress() string
}

// Concerns is the customer a message is about: its recipient, or the
// customer a notice to someone else or a job is about ("" when none). The
// outbox keeps the message in that customer's partition, so erasing the
// customer finds it.
func (m Message) Concerns() string {
	if m.To.CustomerID != "" {
		return m.To.CustomerID
	}
	if a, ok := m.Content.(Concerning); ok {
		return a.Concerns()
	}
	return ""
}

// Address is the address a job names as typed ("" for other messages): the
// outbox keys such a job by the address's digest, so erasing the address's
// account finds it.
func (m Message) Address() string {
	if a, ok := m.Content.(TypedAddress); ok {
		return a.TypedAddress()
	}
	return ""
}

// Kind is the kind of m's content ("" when it has none).
func (m Message) Kind() Kind {
	if m.Content == nil {
		return ""
	}
	return m.Content.Kind()
}

// Validate rejects a message no handler could use: one without an id or
// content, or whose content fails its own check. Whether it needs a
// recipient depends on its kind being a mail or a job (Registry.Decode).
func (m Message) Validate() error {
	var errs []error
	if m.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if m.Content == nil {
		errs = append(errs, errors.New("content is missing"))
	} else if err := m.Content.Check(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", m.Content.Kind(), err))
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

// Encode returns the message as the JSON body used on the queue:
// {"id","kind","createdAt","to","content"} (events/mailer-sqs-batch.json).
func (m Message) Encode() (string, error) {
	if m.Content == nil {
		return "", errors.New("outbox: encode: message has no content")
	}
	content, err := json.Marshal(m.Content)
	if err != nil {
		return "", fmt.Errorf("outbox: encode %s: %w", m.Kind(), err)
	}
	w := wire{ID: m.ID, Kind: m.Kind(), CreatedAt: m.CreatedAt, Content: content}
	if m.To != (Recipient{}) {
		w.To = &m.To
	}
	b, err := json.Marshal(w)
	return string(b), err
}

// RetryLater is a job's error when a dependency outside AWS could not
// answer and the job should run again after After (the queue's consumer
// holds the message back that long).
type RetryLater struct {
	After  time.Duration
	Reason string
}

func (e *RetryLater) Error() string {
	return fmt.Sprintf("retry in %s: %s", e.After, e.Reason)
}

// Need is the Check of content that cannot do without some values: an
// error saying it needs what when any of values is empty.
func Need(what string, values ...string) error {
	for _, v := range values {
		if v == "" {
			return errors.New("needs " + what)
		}
	}
	return nil
}
