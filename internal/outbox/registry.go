package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Registry knows every kind the mailer function handles: how to decode its
// content, and, for a job, the handler that runs it. It is filled once, in
// the composition root, before the first message is decoded.
type Registry struct {
	kinds map[Kind]entry
}

type entry struct {
	decode func(json.RawMessage) (Content, error)
	// run is nil for a mail.
	run func(ctx context.Context, job Message) (*Message, error)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[Kind]entry{}} }

// Mail registers mail contents, each given as its zero value: content a
// template renders, sent to the message's recipient.
func (r *Registry) Mail(zeros ...Content) {
	for _, zero := range zeros {
		t := reflect.TypeOf(zero)
		r.add(zero.Kind(), entry{decode: func(raw json.RawMessage) (Content, error) {
			p := reflect.New(t)
			if len(raw) == 0 || string(raw) == "null" {
				return p.Elem().Interface().(Content), nil
			}
			err := json.Unmarshal(raw, p.Interface())
			return p.Elem().Interface().(Content), err
		}})
	}
}

// Handle registers T as a job that run carries out. run returns the mail
// the job leads to (nil when none is due); the mail takes the job's id, so
// the job and its mail are one ledger entry.
func Handle[T Content](r *Registry, run func(ctx context.Context, job Message, content T) (*Message, error)) {
	var zero T
	r.add(zero.Kind(), entry{decode: decodeAs[T], run: func(ctx context.Context, job Message) (*Message, error) {
		c, ok := job.Content.(T)
		if !ok {
			return nil, fmt.Errorf("outbox: job %s is %q, not %q", job.ID, job.Kind(), zero.Kind())
		}
		return run(ctx, job, c)
	}})
}

// Due is the mail a job leads to, from a handler that reports a mail and
// whether it is due: nil when none is (or on an error).
func Due(m Message, due bool, err error) (*Message, error) {
	if err != nil || !due {
		return nil, err
	}
	return &m, nil
}

func (r *Registry) add(k Kind, e entry) {
	if k == "" {
		panic("outbox: a content type without a kind")
	}
	if _, dup := r.kinds[k]; dup {
		panic(fmt.Sprintf("outbox: kind %q registered twice", k))
	}
	r.kinds[k] = e
}

// Kinds lists the registered kinds, jobs reported apart from mails.
func (r *Registry) Kinds() (mails, jobs []Kind) {
	for k, e := range r.kinds {
		if e.run == nil {
			mails = append(mails, k)
		} else {
			jobs = append(jobs, k)
		}
	}
	return mails, jobs
}

// IsJob reports whether m is a registered job rather than a mail.
func (r *Registry) IsJob(m Message) bool { return r.kinds[m.Kind()].run != nil }

// Decode reads a queue body: a message of a registered kind, valid for it
// (a mail has a recipient, a job has none).
func (r *Registry) Decode(body string) (Message, error) {
	var w wire
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return Message{}, fmt.Errorf("outbox: decode message: %w", err)
	}
	e, ok := r.kinds[w.Kind]
	if !ok {
		return Message{}, fmt.Errorf("outbox: decode message: unknown kind %q", w.Kind)
	}
	c, err := e.decode(w.Content)
	if err != nil {
		return Message{}, fmt.Errorf("outbox: decode %s content: %w", w.Kind, err)
	}
	m := Message{ID: w.ID, CreatedAt: w.CreatedAt, Content: c}
	if w.To != nil {
		m.To = *w.To
	}
	err = m.Validate()
	switch {
	case e.run != nil && m.To != (Recipient{}):
		err = errors.Join(err, errors.New("a job has no recipient"))
	case e.run == nil && m.To.Email == "":
		err = errors.Join(err, errors.New("to is empty"))
	}
	if err != nil {
		return Message{}, fmt.Errorf("outbox: message %s: %w", m.ID, err)
	}
	return m, nil
}

func decodeAs[T Content](raw json.RawMessage) (Content, error) {
	var c T
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	err := json.Unmarshal(raw, &c)
	return c, err
}
