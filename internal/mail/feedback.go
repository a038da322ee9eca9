package mail

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// SuppressionStore records addresses that must not be mailed again.
type SuppressionStore interface {
	Suppress(ctx context.Context, addressKey, reason string, at time.Time) error
}

// Notification is what the mail provider reported about a sent mail.
type Notification struct {
	// Type is "Bounce" or "Complaint" (other events are ignored).
	Type string
	// BounceType is "Permanent", "Transient" or "Undetermined" for bounces.
	BounceType string
	Recipients []string
}

// Feedback acts on bounces and complaints: an address that hard-bounced or
// complained is suppressed, so the mailer never mails it again (and the
// store's sending reputation survives).
type Feedback struct {
	store SuppressionStore
	now   func() time.Time
	log   *slog.Logger
}

// NewFeedback returns a Feedback.
func NewFeedback(s SuppressionStore, now func() time.Time, log *slog.Logger) *Feedback {
	return &Feedback{store: s, now: now, log: log}
}

// Record handles one notification.
func (f *Feedback) Record(ctx context.Context, n Notification) error {
	var reason string
	switch {
	case n.Type == "Bounce" && n.BounceType == "Permanent":
		reason = "hard bounce"
	case n.Type == "Complaint":
		reason = "complaint"
	default:
		// Transient bounces (mailbox full, greylisting) resolve themselves.
		f.log.InfoContext(ctx, "mail feedback ignored", "type", n.Type, "bounceType", n.BounceType)
		return nil
	}
	for _, r := range n.Recipients {
		key := customer.NormalizeLogin(r)
		if key == "" || !strings.Contains(key, "@") {
			continue
		}
		if err := f.store.Suppress(ctx, key, reason, f.now().UTC()); err != nil {
			return err
		}
		f.log.InfoContext(ctx, "address suppressed", "reason", reason)
	}
	return nil
}
