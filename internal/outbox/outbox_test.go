package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/outbox/outboxtest"
	"github.com/openreg/registration/internal/store/memstore"
)

var created = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// note is a mail, sweep a job that mails nothing, remind a job that leads
// to a note.
type (
	note   struct{ Text string }
	sweep  struct{ CustomerID string }
	remind struct {
		Email string `json:"email"`
	}
)

func (note) Kind() outbox.Kind        { return "note" }
func (n note) Check() error           { return nonEmpty(n.Text, "needs a text") }
func (sweep) Kind() outbox.Kind       { return "sweep" }
func (s sweep) Check() error          { return nonEmpty(s.CustomerID, "needs a customer") }
func (s sweep) Concerns() string      { return s.CustomerID }
func (remind) Kind() outbox.Kind      { return "remind" }
func (r remind) Check() error         { return nonEmpty(r.Email, "needs an address") }
func (r remind) TypedAddress() string { return r.Email }

func nonEmpty(s, msg string) error {
	if s == "" {
		return errors.New(msg)
	}
	return nil
}

// jobs records the jobs run; remind's handler fails while fail is set.
type jobs struct {
	ran  []string
	fail error
}

func (j *jobs) sweep(_ context.Context, m outbox.Message, s sweep) (*outbox.Message, error) {
	j.ran = append(j.ran, m.ID)
	return nil, nil
}

func (j *jobs) remind(_ context.Context, m outbox.Message, r remind) (*outbox.Message, error) {
	j.ran = append(j.ran, m.ID)
	if j.fail != nil {
		return nil, j.fail
	}
	out := outbox.New("", created, outbox.Recipient{Email: r.Email}, note{Text: "hello"})
	return &out, nil
}

func registry(j *jobs) *outbox.Registry {
	r := outbox.NewRegistry()
	r.Mail(note{})
	outbox.Handle(r, j.sweep)
	outbox.Handle(r, j.remind)
	return r
}

func encode(t *testing.T, m outbox.Message) string {
	t.Helper()
	body, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestRegistryDecode(t *testing.T) {
	r := registry(&jobs{})
	outboxtest.RoundTrip(t, r,
		outbox.New("m1", created, outbox.Recipient{Email: "ada@example.com", Language: "de"}, note{Text: "hi"}),
		outbox.New("j1", created, outbox.Recipient{}, sweep{CustomerID: "c1"}),
		outbox.New("j2", created, outbox.Recipient{}, remind{Email: "ada@example.com"}))
	tests := []struct {
		name    string
		body    string
		wantErr []string
	}{
		{"a body that is not JSON is refused", "not json", []string{"decode message"}},
		{"an empty body is refused", "", []string{"decode message"}},
		{"a JSON array is refused", `[1,2]`, []string{"decode message"}},
		{"a kind nobody registered is refused", `{"id":"m1","kind":"newsletter","to":{"email":"a@example.com"}}`, []string{`unknown kind "newsletter"`}},
		{"a job with a recipient is refused", `{"id":"j1","kind":"sweep","to":{"email":"a@example.com"},"content":{"CustomerID":"c1"}}`,
			[]string{"a job has no recipient"}},
		{"a mail without recipient is refused", `{"id":"m1","kind":"note","content":{"Text":"hi"}}`, []string{"to is empty"}},
		{"a message without id is refused", `{"kind":"sweep","content":{"CustomerID":"c1"}}`, []string{"id is empty"}},
		{"content that fails its check is refused", `{"id":"j1","kind":"sweep","content":{}}`, []string{"sweep: needs a customer"}},
		{"content of the wrong shape is refused", `{"id":"j1","kind":"sweep","content":{"CustomerID":7}}`, []string{"decode sweep content"}},
		{"every problem is reported at once", `{"kind":"note","content":{}}`, []string{"id is empty", "needs a text", "to is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { outboxtest.Refuses(t, r, tt.body, tt.wantErr...) })
	}
}

func TestMessageKeys(t *testing.T) {
	tests := []struct {
		name                   string
		m                      outbox.Message
		wantConcerns, wantAddr string
	}{
		{"a mail concerns its recipient", outbox.New("m1", created, outbox.Recipient{Email: "a@example.com", CustomerID: "c1"}, note{Text: "x"}), "c1", ""},
		{"a job concerns the customer it names", outbox.New("j1", created, outbox.Recipient{}, sweep{CustomerID: "c2"}), "c2", ""},
		{"a job about a typed address concerns no customer", outbox.New("j2", created, outbox.Recipient{}, remind{Email: "b@example.com"}), "", "b@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Concerns(); got != tt.wantConcerns {
				t.Errorf("Concerns() = %q, want %q", got, tt.wantConcerns)
			}
			if got := tt.m.Address(); got != tt.wantAddr {
				t.Errorf("Address() = %q, want %q", got, tt.wantAddr)
			}
		})
	}
}

func TestRegistryRefusesAKindTwice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering note twice did not panic")
		}
	}()
	r := outbox.NewRegistry()
	r.Mail(note{}, note{})
}

// mailer records what it is asked to send; SendClaimed settles the claim
// as mail.Mailer does.
type mailer struct {
	ledger    outbox.Ledger
	delivered []outbox.Message
	sent      []outbox.Message
}

func (m *mailer) Deliver(_ context.Context, msg outbox.Message) error {
	m.delivered = append(m.delivered, msg)
	return nil
}

func (m *mailer) SendClaimed(ctx context.Context, msg outbox.Message) error {
	m.sent = append(m.sent, msg)
	return m.ledger.MarkSent(ctx, msg.ID, created)
}

func TestDispatcher(t *testing.T) {
	ctx := context.Background()
	setup := func() (*jobs, *mailer, *memstore.Store, *outbox.Dispatcher) {
		j, l := &jobs{}, memstore.New(func() time.Time { return created })
		m := &mailer{ledger: l}
		return j, m, l, outbox.NewDispatcher(registry(j), m, l, func() time.Time { return created }, slog.New(slog.DiscardHandler))
	}
	t.Run("a mail goes to the mailer", func(t *testing.T) {
		j, m, _, d := setup()
		if err := d.Dispatch(ctx, encode(t, outbox.New("m1", created, outbox.Recipient{Email: "a@example.com"}, note{Text: "hi"}))); err != nil {
			t.Fatal(err)
		}
		if len(m.delivered) != 1 || len(j.ran) != 0 {
			t.Errorf("got %d delivered and %d jobs run, want the mail delivered", len(m.delivered), len(j.ran))
		}
	})
	t.Run("a job's mail takes the job's id and is sent under its claim", func(t *testing.T) {
		j, m, _, d := setup()
		body := encode(t, outbox.New("j1", created, outbox.Recipient{}, remind{Email: "a@example.com"}))
		if err := d.Dispatch(ctx, body); err != nil {
			t.Fatal(err)
		}
		if len(m.sent) != 1 || m.sent[0].ID != "j1" || m.sent[0].To.Email != "a@example.com" {
			t.Fatalf("got %+v sent, want the job's mail under id j1", m.sent)
		}
		t.Run("and a second delivery of the job is dropped", func(t *testing.T) {
			if err := d.Dispatch(ctx, body); err != nil {
				t.Fatal(err)
			}
			if len(j.ran) != 1 || len(m.sent) != 1 {
				t.Errorf("got %d runs and %d mails, want the job run and mailed once", len(j.ran), len(m.sent))
			}
		})
	})
	t.Run("a job that mails nothing is settled", func(t *testing.T) {
		_, m, l, d := setup()
		if err := d.Dispatch(ctx, encode(t, outbox.New("j2", created, outbox.Recipient{}, sweep{CustomerID: "c1"}))); err != nil {
			t.Fatal(err)
		}
		if err := l.Claim(ctx, "j2", created, time.Minute); !errors.Is(err, outbox.ErrAlreadySent) || len(m.sent) != 0 {
			t.Errorf("the ledger says %v and %d mails went, want ErrAlreadySent and none", err, len(m.sent))
		}
	})
	t.Run("a failed job is released for the retry, its error kept", func(t *testing.T) {
		j, m, _, d := setup()
		later := &outbox.RetryLater{After: time.Minute, Reason: "VIES is down"}
		j.fail = later
		body := encode(t, outbox.New("j3", created, outbox.Recipient{}, remind{Email: "a@example.com"}))
		var got *outbox.RetryLater
		if err := d.Dispatch(ctx, body); !errors.As(err, &got) || got != later {
			t.Fatalf("got %v, want the job's RetryLater", err)
		}
		j.fail = nil
		if err := d.Dispatch(ctx, body); err != nil {
			t.Fatal(err)
		}
		if len(j.ran) != 2 || len(m.sent) != 1 {
			t.Errorf("got %d runs and %d mails, want the retry to run and mail", len(j.ran), len(m.sent))
		}
	})
	t.Run("a message that does not decode is an error, not dropped", func(t *testing.T) {
		_, _, _, d := setup()
		if err := d.Dispatch(ctx, `{"id":"x","kind":"newsletter"}`); err == nil {
			t.Error("got nil, want an error")
		}
	})
}

// FuzzDecode: whatever an SQS record's body holds, decoding never panics,
// and a body that decodes encodes and decodes back to the same message.
func FuzzDecode(f *testing.F) {
	f.Add(`{"id":"m1","kind":"note","to":{"email":"ada@example.com","language":"en"},"createdAt":"2030-01-01T00:00:00Z","content":{"Text":"hi"}}`)
	f.Add(`{"id":"j1","kind":"remind","createdAt":"2030-01-01T00:00:00Z","content":{"email":"ada@example.com"}}`)
	f.Add(`{"id":"m1","kind":"from_the_future"}`)
	f.Add(`"quoted"`)
	r := registry(&jobs{})
	f.Fuzz(func(t *testing.T, body string) {
		m, err := r.Decode(body)
		if err != nil {
			return
		}
		outboxtest.Decodes(t, r, encode(t, m), m)
	})
}
