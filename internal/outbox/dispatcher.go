package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Errors of a Ledger's Claim.
var (
	// ErrAlreadySent: the message was handled before; this is a duplicate.
	ErrAlreadySent = errors.New("outbox: message already handled")
	// ErrInFlight: another delivery of the same message holds the claim
	// right now; try again after its lease.
	ErrInFlight = errors.New("outbox: message is being handled by another worker")
)

// Ledger remembers which messages were handled, so a message the queue
// delivers twice is handled once.
type Ledger interface {
	// Claim reserves message id for one worker until now+lease; a claim
	// whose lease ran out can be taken over (its worker died).
	Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error
	// MarkSent records that message id was handled.
	MarkSent(ctx context.Context, id string, now time.Time) error
	// Release gives up a claim after a failure, so a retry can take it.
	Release(ctx context.Context, id string) error
}

// ClaimLease outlasts one handling (the mailer's timeout is 30 s); a claim
// older than this belongs to a worker that died.
const ClaimLease = 2 * time.Minute

// Mailer sends mails (mail.Mailer).
type Mailer interface {
	// Deliver claims a mail's id, sends it, and settles the claim.
	Deliver(ctx context.Context, m Message) error
	// SendClaimed sends a mail whose id's claim the caller holds, and
	// settles the claim (sent, or released for a retry).
	SendClaimed(ctx context.Context, m Message) error
}

// Dispatcher is what the mailer function runs for each queued message: a
// mail goes to the Mailer, a job to its handler.
type Dispatcher struct {
	registry *Registry
	mailer   Mailer
	ledger   Ledger
	now      func() time.Time
	log      *slog.Logger
}

// NewDispatcher returns a Dispatcher of the registry's kinds.
func NewDispatcher(r *Registry, m Mailer, l Ledger, now func() time.Time, log *slog.Logger) *Dispatcher {
	return &Dispatcher{registry: r, mailer: m, ledger: l, now: now, log: log}
}

// Dispatch handles one queue body. A job and the mail it leads to share
// one ledger entry, under the job's id: the claim is taken before the job
// runs and settled when its mail is sent (or when none is due).
func (d *Dispatcher) Dispatch(ctx context.Context, body string) error {
	msg, err := d.registry.Decode(body)
	if err != nil {
		return err
	}
	run := d.registry.kinds[msg.Kind()].run
	if run == nil {
		return d.mailer.Deliver(ctx, msg)
	}
	switch err := d.ledger.Claim(ctx, msg.ID, d.now(), ClaimLease); {
	case errors.Is(err, ErrAlreadySent):
		d.log.InfoContext(ctx, "duplicate job dropped", "jobId", msg.ID, "kind", msg.Kind())
		return nil
	case err != nil:
		return err
	}
	out, err := run(ctx, msg)
	if err != nil {
		if rerr := d.ledger.Release(ctx, msg.ID); rerr != nil {
			d.log.WarnContext(ctx, "could not release job claim", "jobId", msg.ID, "error", rerr)
		}
		return fmt.Errorf("job %s (%s): %w", msg.ID, msg.Kind(), err)
	}
	if out == nil {
		// The work is done; failing now would make SQS redeliver it and,
		// once the claim expires, do it twice: log and succeed.
		if err := d.ledger.MarkSent(ctx, msg.ID, d.now()); err != nil {
			d.log.WarnContext(ctx, "job done but not recorded as done", "jobId", msg.ID, "error", err)
		}
		return nil
	}
	out.ID = msg.ID
	return d.mailer.SendClaimed(ctx, *out)
}
