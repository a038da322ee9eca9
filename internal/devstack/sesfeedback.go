package devstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/openreg/registration/internal/devstack/eventpattern"
)

// Invoker invokes a function of the template by name with a JSON payload
// (an in-process handler, or the function under the RIE).
type Invoker func(ctx context.Context, function string, payload []byte) error

// SESFeedback plays SES's mailbox simulator on the local stack. moto
// accepts every mail; SES would bounce a mail to
// bounce@simulator.amazonses.com and report a complaint of one to
// complaint@simulator.amazonses.com (each also with a "+label" before the
// @, as SES allows). For each such recipient of a mail moto accepted,
// SESFeedback puts together the event SES's configuration set would put on
// the default bus and hands it to the functions of the template's rules
// whose pattern matches it, as EventBridge would: so the bounce loop runs
// end to end on the local stack.
type SESFeedback struct {
	mailbox *Mailbox
	rules   []compiledRule
	invoke  Invoker
	now     func() time.Time
	log     *slog.Logger

	mu   sync.Mutex
	done map[string]bool // mail id + recipient, handed over
}

type compiledRule struct {
	id        string
	pattern   *eventpattern.Pattern
	functions []string
}

// simulatorAddress is SES's mailbox simulator's bounce and complaint
// addresses, with an optional label.
var simulatorAddress = regexp.MustCompile(`(?i)^(bounce|complaint)(\+[^@]*)?@simulator\.amazonses\.com$`)

// NewSESFeedback compiles the template's rules.
func NewSESFeedback(t Template, mailbox *Mailbox, invoke Invoker, now func() time.Time, log *slog.Logger) (*SESFeedback, error) {
	f := &SESFeedback{mailbox: mailbox, invoke: invoke, now: now, log: log, done: map[string]bool{}}
	for _, r := range t.Rules {
		p, err := eventpattern.Compile(string(r.Pattern))
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.LogicalID, err)
		}
		f.rules = append(f.rules, compiledRule{id: r.LogicalID, pattern: p, functions: r.Functions})
	}
	return f, nil
}

// Run hands over the simulator's events every interval until ctx ends.
func (f *SESFeedback) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := f.Once(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("ses feedback", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once hands over the events of the simulator mails accepted since the
// last call and returns how many functions it invoked. A function's error
// leaves the mail to be handed over again next time (EventBridge retries).
func (f *SESFeedback) Once(ctx context.Context) (int, error) {
	mails, err := f.mailbox.Mails(ctx)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	var errs []error
	for _, m := range mails {
		for _, to := range m.To {
			kind := simulatorAddress.FindStringSubmatch(to)
			key := m.ID + " " + to
			if kind == nil || f.done[key] {
				continue
			}
			ev, err := f.event(strings.ToLower(kind[1]), m, to)
			if err != nil {
				return n, err
			}
			invoked, err := f.deliver(ctx, ev)
			n += invoked
			if err != nil {
				errs = append(errs, err)
				continue
			}
			f.done[key] = true
		}
	}
	return n, errors.Join(errs...)
}

// deliver invokes every function of every rule the event matches.
func (f *SESFeedback) deliver(ctx context.Context, ev []byte) (int, error) {
	n := 0
	for _, r := range f.rules {
		ok, err := r.pattern.Match(ev)
		if err != nil || !ok {
			continue
		}
		for _, fn := range r.functions {
			if err := f.invoke(ctx, fn, ev); err != nil {
				return n, fmt.Errorf("rule %s, function %s: %w", r.id, fn, err)
			}
			n++
		}
	}
	return n, nil
}

// sesEvent is the EventBridge event of an SES sending event, as SES's
// documentation shows it ("Monitor email sending using Amazon SES event
// publishing": the bounce and complaint objects; events/ses-bounce.json).
type sesEvent struct {
	Version    string    `json:"version"`
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       string    `json:"time"`
	Region     string    `json:"region"`
	Resources  []string  `json:"resources"`
	Detail     sesDetail `json:"detail"`
}

type sesDetail struct {
	EventType string        `json:"eventType"`
	Bounce    *sesBounce    `json:"bounce,omitempty"`
	Complaint *sesComplaint `json:"complaint,omitempty"`
	Mail      sesMail       `json:"mail"`
}

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action,omitempty"`
	Status         string `json:"status,omitempty"`
	DiagnosticCode string `json:"diagnosticCode,omitempty"`
}

type sesBounce struct {
	FeedbackID        string         `json:"feedbackId"`
	BounceType        string         `json:"bounceType"`
	BounceSubType     string         `json:"bounceSubType"`
	BouncedRecipients []sesRecipient `json:"bouncedRecipients"`
	Timestamp         string         `json:"timestamp"`
	ReportingMTA      string         `json:"reportingMTA"`
}

type sesComplaint struct {
	FeedbackID            string         `json:"feedbackId"`
	ComplaintFeedbackType string         `json:"complaintFeedbackType"`
	ComplainedRecipients  []sesRecipient `json:"complainedRecipients"`
	Timestamp             string         `json:"timestamp"`
}

type sesMail struct {
	Timestamp   string   `json:"timestamp"`
	Source      string   `json:"source"`
	MessageID   string   `json:"messageId"`
	Destination []string `json:"destination"`
}

// event is the event SES would publish for one simulator recipient of m.
func (f *SESFeedback) event(kind string, m Mail, to string) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	at := f.now().UTC().Format("2006-01-02T15:04:05.000Z")
	ev := sesEvent{Version: "0", ID: fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:]),
		Source: "aws.ses", Account: LocalAccount, Time: f.now().UTC().Format(time.RFC3339), Region: LocalRegion,
		Detail: sesDetail{Mail: sesMail{Timestamp: at, Source: m.From, MessageID: m.ID, Destination: m.To}}}
	switch kind {
	case "bounce":
		ev.DetailType, ev.Detail.EventType = "Email Bounced", "Bounce"
		ev.Detail.Bounce = &sesBounce{FeedbackID: ev.ID, BounceType: "Permanent", BounceSubType: "General", Timestamp: at,
			ReportingMTA:      "dns; simulator.amazonses.com",
			BouncedRecipients: []sesRecipient{{EmailAddress: to, Action: "failed", Status: "5.1.1", DiagnosticCode: "smtp; 550 5.1.1 user unknown"}}}
	default:
		ev.DetailType, ev.Detail.EventType = "Email Complaint Received", "Complaint"
		ev.Detail.Complaint = &sesComplaint{FeedbackID: ev.ID, ComplaintFeedbackType: "abuse", Timestamp: at,
			ComplainedRecipients: []sesRecipient{{EmailAddress: to}}}
	}
	return json.Marshal(ev)
}
