package sesevents

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/deliverability"
)

// detail is the part of an SES event the feedback needs.
type detail struct {
	EventType string `json:"eventType"`
	Bounce    *struct {
		BounceType        string      `json:"bounceType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []recipient `json:"complainedRecipients"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Recorder records one notification.
type Recorder interface {
	Record(ctx context.Context, n deliverability.Notification) error
}

// Handler is the Lambda handler of the ses-events function.
type Handler struct{ feedback Recorder }

// New returns a Handler.
func New(r Recorder) *Handler { return &Handler{feedback: r} }

// Handle processes one EventBridge event. An event it cannot read is an
// error, so EventBridge retries it and it is not silently lost.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	var d detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return fmt.Errorf("sesevents: unreadable detail of event %s: %w", ev.ID, err)
	}
	n := deliverability.Notification{Type: d.EventType}
	switch {
	case d.Bounce != nil:
		n.BounceType = d.Bounce.BounceType
		for _, r := range d.Bounce.BouncedRecipients {
			n.Recipients = append(n.Recipients, r.EmailAddress)
		}
	case d.Complaint != nil:
		for _, r := range d.Complaint.ComplainedRecipients {
			n.Recipients = append(n.Recipients, r.EmailAddress)
		}
	}
	return h.feedback.Record(ctx, n)
}
