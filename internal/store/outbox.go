package store

import (
	"time"

	"github.com/openreg/registration/internal/mail"
)

// The outbox. A use case stores the mails and jobs its change causes as
// outbox items in the change's own transaction, so a committed change always
// has its mail and a failed one has none. The table's stream carries each new
// outbox item to an EventBridge Pipe (devstack.Pipe locally), which passes
// inserted items of TypeOutbox and sends their AttrOutboxMessage to the mail
// queue. Nothing on the request path talks to the queue. The stream delivers
// at least once; the mailer's ledger makes a repeat harmless.
const (
	// AttrType is every item's kind.
	AttrType = "type"
	// TypeOutbox is the kind of outbox items: the Pipe's filter.
	TypeOutbox = "outbox"
	// AttrOutboxMessage holds the encoded mail.Message: the queue
	// message's body.
	AttrOutboxMessage = "message"
)

// outboxRetention is how long an outbox item stays after the stream took
// it: long enough for an operator to redrive a mail the Pipe gave up on (its
// dead-letter queue names the records), after which TTL removes it.
const outboxRetention = 7 * 24 * time.Hour

type outboxItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	Message   string `dynamodbav:"message"`
	CreatedAt string `dynamodbav:"createdAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

func newOutboxItem(m mail.Message) (outboxItem, error) {
	body, err := m.Encode()
	if err != nil {
		return outboxItem{}, err
	}
	return outboxItem{
		PK: outboxPK(m.ID), SK: skMail, Type: TypeOutbox,
		Message: body, CreatedAt: formatTime(m.CreatedAt), TTL: m.CreatedAt.Add(outboxRetention).Unix(),
	}, nil
}
