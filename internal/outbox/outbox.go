// Package outbox moves mails from the table to the mail queue. A use case
// stores its mail in the same DynamoDB transaction as its change (so a stored
// change always has its mail), then Flush hands the mail to the queue at
// once. If the queue is down, the mail stays in the outbox and Drain, run on
// a schedule, sends it later. A mail can therefore reach the queue twice
// (sent, then the delete failed); the mailer deduplicates on the message id.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/mail"
)

// Store holds the outbox.
type Store interface {
	// PendingMail returns readable waiting mails after cursor, the cursor
	// to continue from ("" at the end) and how many entries it skipped.
	PendingMail(ctx context.Context, before time.Time, cursor string, limit int) ([]mail.Message, string, int, error)
	// MailSent removes mails from the outbox.
	MailSent(ctx context.Context, ids ...string) error
}

// Queue is the mail queue.
type Queue interface {
	// Send enqueues messages; it returns the ids it could not enqueue.
	Send(ctx context.Context, msgs []mail.Message) (failed []string, err error)
}

// Relay flushes and drains the outbox.
type Relay struct {
	store Store
	queue Queue
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Relay.
func New(store Store, queue Queue, now func() time.Time, log *slog.Logger) *Relay {
	return &Relay{store: store, queue: queue, now: now, log: log}
}

// flushTimeout bounds how long a request waits for the queue. A hanging
// queue must not turn a committed change into a timed-out request: past this,
// the mail waits in the outbox for Drain.
const flushTimeout = 2 * time.Second

// Flush sends just-stored mails. It never fails the caller: whatever it
// cannot send stays in the outbox for Drain.
func (r *Relay) Flush(ctx context.Context, msgs []mail.Message) {
	if len(msgs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if _, err := r.send(ctx, msgs); err != nil {
		r.log.WarnContext(ctx, "mail left in outbox for the relay", "error", err, "count", len(msgs))
	}
}

// settle is how old an outbox entry must be before Drain takes it, so Drain
// does not race the request that is flushing it.
const settle = 30 * time.Second

// ErrUnreadable reports outbox entries Drain had to leave behind; it makes
// the relay's invocation fail so its error alarm fires.
var ErrUnreadable = errors.New("outbox: entries that cannot be read were left behind; inspect the OUTBOX# items")

// Drain sends every mail that has waited in the outbox longer than a short
// settling time, page by page from the oldest, and reports how many it sent.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	sent, skipped := 0, 0
	before := r.now().Add(-settle)
	cursor := ""
	for {
		msgs, next, skip, err := r.store.PendingMail(ctx, before, cursor, 50)
		skipped += skip
		if err != nil {
			return sent, err
		}
		n, err := r.send(ctx, msgs)
		sent += n
		if err != nil {
			return sent, err
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if skipped > 0 {
		r.log.ErrorContext(ctx, "outbox entries cannot be read and were left behind", "count", skipped)
		return sent, fmt.Errorf("%w (%d)", ErrUnreadable, skipped)
	}
	return sent, nil
}

// send enqueues msgs in batches of ten (SQS's limit) and removes what was
// enqueued from the outbox in one batch write per batch.
func (r *Relay) send(ctx context.Context, msgs []mail.Message) (int, error) {
	sent := 0
	for start := 0; start < len(msgs); start += 10 {
		batch := msgs[start:min(start+10, len(msgs))]
		failed, err := r.queue.Send(ctx, batch)
		if err != nil {
			return sent, err
		}
		bad := map[string]bool{}
		for _, id := range failed {
			bad[id] = true
		}
		var ids []string
		for _, m := range batch {
			if !bad[m.ID] {
				ids = append(ids, m.ID)
			}
		}
		if err := r.store.MailSent(ctx, ids...); err != nil {
			// Enqueued but still in the outbox: Drain will send them again
			// and the mailer's ledger drops the copies.
			return sent, err
		}
		sent += len(ids)
	}
	return sent, nil
}
