package store

import (
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/store/keys"
)

// The outbox. A use case stores the mails and jobs its change causes in the
// change's own write, so a committed change always has its mail and a failed
// one has none: as outbox items (TypeOutbox), or, where the change inserts an
// item of its own anyway that stays in the table, on that item (a pending
// registration carries the job that completes it until the job is done; an
// activity entry the mail it causes), so registering writes one item fewer.
// Never on an item that may go before a redrive (a session). Either way
// the mail is the item's AttrOutboxMessage. The table's stream carries every
// inserted item that has one to an EventBridge Pipe (devstack.Pipe locally),
// which sends the message to the mail queue. Nothing on the request path
// talks to the queue. The stream delivers at least once; the mailer's ledger
// makes a repeat harmless.
const (
	// AttrType is every item's kind.
	AttrType = "type"
	// TypeOutbox is the kind of items that exist only to carry a message.
	TypeOutbox = "outbox"
	// AttrOutboxMessage holds an encoded outbox.Message: the queue message's
	// body. An inserted item that has it is what the Pipe forwards.
	// No other item may use this name: the consent log's "message" is why
	// it is not called that.
	AttrOutboxMessage = "outboxMessage"
)

// outboxRetention is how long an outbox item stays after the stream took
// it: long enough for an operator to redrive a mail the Pipe gave up on (its
// dead-letter queue names the records), after which TTL removes it.
const outboxRetention = 7 * 24 * time.Hour

type outboxItem struct {
	head
	Message   string `dynamodbav:"outboxMessage"`
	CreatedAt string `dynamodbav:"createdAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

func newOutboxItem(m outbox.Message) (outboxItem, error) {
	body, err := m.Encode()
	if err != nil {
		return outboxItem{}, err
	}
	// Whatever names a customer or an address is kept where its erasure
	// finds it: a mail to or about a customer (the store owner's notices
	// included) in the customer's partition, a job naming a typed address
	// under the address's digest; the rest under its own key.
	pk, sk := outboxPK(m.ID), keys.SKMail
	switch {
	case m.Concerns() != "":
		pk, sk = customerPK(m.Concerns()), keys.SKOutbox+m.ID
	case m.Address() != "":
		pk, sk = addressOutboxPK(customer.AddressDigest(m.Address())), keys.SKOutbox+m.ID
	}
	return outboxItem{
		head:    head{pk, sk, TypeOutbox},
		Message: body, CreatedAt: formatTime(m.CreatedAt), TTL: m.CreatedAt.Add(outboxRetention).Unix(),
	}, nil
}

// AttrOutboxEvent holds an event's JSON detail and AttrEventType its type:
// an inserted item that has them is what the events Pipe forwards to the
// bus (detail-type AttrEventType, detail AttrOutboxEvent).
const (
	AttrOutboxEvent = "outboxEvent"
	AttrEventType   = "eventType"
	// TypeEvent is the kind of items that carry an event.
	TypeEvent = "event"
)

// eventItem carries one event to the bus. It lives in its customer's
// partition (an erasure sweeps it) and expires with the outbox's retention.
type eventItem struct {
	head
	EventType string `dynamodbav:"eventType"`
	Detail    string `dynamodbav:"outboxEvent"`
	TTL       int64  `dynamodbav:"ttl"`
}

func newEventItem(e event.Event) (eventItem, error) {
	d, err := e.Detail()
	if err != nil {
		return eventItem{}, err
	}
	return eventItem{head: head{customerPK(e.CustomerID), keys.SKEvent + sortableTime(e.At) + "#" + e.ID, TypeEvent},
		EventType: string(e.Type), Detail: d, TTL: e.At.Add(outboxRetention).Unix()}, nil
}
