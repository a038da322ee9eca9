package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/mail"
)

func TestMessageValidate(t *testing.T) {
	valid := fixedMessage(mail.EmailValidation, "en")
	tests := []struct {
		name    string
		change  func(m *mail.Message)
		wantErr []string // substrings of the error; nil means valid
	}{
		{"a complete validation mail is valid", func(*mail.Message) {}, nil},
		{"an account-exists mail needs no link", func(m *mail.Message) { m.Kind, m.Link = mail.AccountExists, "" }, nil},
		{"a message without id is invalid", func(m *mail.Message) { m.ID = "" }, []string{"id is empty"}},
		{"a message without recipient is invalid", func(m *mail.Message) { m.To = "" }, []string{"to is empty"}},
		{"a validation mail without link is invalid", func(m *mail.Message) { m.Link = "" }, []string{"needs a link"}},
		{"a message of an unknown kind is invalid", func(m *mail.Message) { m.Kind = "newsletter" }, []string{`unknown kind "newsletter"`}},
		{"every problem is reported at once", func(m *mail.Message) { m.ID, m.To, m.Kind = "", "", "" },
			[]string{"id is empty", "to is empty", "unknown kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid
			tt.change(&m)
			err := m.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error mentioning %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to mention %q", err, want)
				}
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Run("an encoded message decodes to the same message", func(t *testing.T) {
		want := fixedMessage(mail.EmailValidation, "de")
		body, err := want.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := mail.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	tests := []struct {
		name string
		body string
	}{
		{"a body that is not JSON is refused", "not json"},
		{"an empty body is refused", ""},
		{"a JSON array is refused", `[1,2]`},
		{"a JSON message that fails validation is refused", `{"id":"m1","kind":"email_validation","to":"ada@example.com"}`},
		{"a JSON message of an unknown kind is refused", `{"id":"m1","kind":"password_reset","to":"ada@example.com"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mail.Decode(tt.body); err == nil {
				t.Errorf("got nil error for %q, want one", tt.body)
			}
		})
	}

	t.Run("a minimal account-exists message decodes", func(t *testing.T) {
		got, err := mail.Decode(`{"id":"m1","kind":"account_exists","to":"ada@example.com","language":"de"}`)
		if err != nil {
			t.Fatal(err)
		}
		want := mail.Message{ID: "m1", Kind: mail.AccountExists, To: "ada@example.com", Language: "de"}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

// fakeSender records the emails it is asked to send.
type fakeSender struct {
	sent []mail.Email
	err  error
}

func (s *fakeSender) Send(_ context.Context, e mail.Email) error {
	s.sent = append(s.sent, e)
	return s.err
}

// memLedger is an in-memory mail.Ledger with the same rules as the store's.
type memLedger struct {
	state      map[string]string // id -> "sending" | "sent"
	lease      map[string]time.Time
	suppressed map[string]bool
	releases   int
}

func newLedger() *memLedger {
	return &memLedger{state: map[string]string{}, lease: map[string]time.Time{}, suppressed: map[string]bool{}}
}

func (l *memLedger) Claim(_ context.Context, id string, now time.Time, lease time.Duration) error {
	switch l.state[id] {
	case "sent":
		return mail.ErrAlreadySent
	case "sending":
		if now.Before(l.lease[id]) {
			return mail.ErrInFlight
		}
	}
	l.state[id], l.lease[id] = "sending", now.Add(lease)
	return nil
}

func (l *memLedger) MarkSent(_ context.Context, id string, _ time.Time) error {
	l.state[id] = "sent"
	return nil
}

func (l *memLedger) Release(_ context.Context, id string) error {
	l.releases++
	delete(l.state, id)
	return nil
}

func (l *memLedger) Suppressed(_ context.Context, key string) (bool, error) {
	return l.suppressed[key], nil
}

const from = "no-reply@shop.example"

func newMailer(tpl *mail.Templates, s mail.Sender, l mail.Ledger) *mail.Mailer {
	return mail.NewMailer(mail.MailerDeps{Templates: tpl, Sender: s, Ledger: l, From: from, StoreName: storeName,
		Now: func() time.Time { return created }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func TestMailerDeliver(t *testing.T) {
	tpl := loadTemplates(t)

	for _, kind := range mail.Kinds {
		t.Run("the "+string(kind)+" message is sent rendered, addressed and tagged", func(t *testing.T) {
			s := &fakeSender{}
			m := fixedMessage(kind, "de")
			if err := newMailer(tpl, s, newLedger()).Deliver(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(s.sent) != 1 {
				t.Fatalf("got %d emails sent, want 1", len(s.sent))
			}
			got := s.sent[0]
			r := render(t, tpl, m)
			if got.From != from || got.To != m.To {
				t.Errorf("got From %q To %q, want From %q To %q", got.From, got.To, from, m.To)
			}
			if got.Subject != r.Subject || got.HTML != r.HTML || got.Text != r.Text {
				t.Errorf("got subject %q and parts that differ from the rendering, want %q", got.Subject, r.Subject)
			}
			if got.HTML == "" || got.Text == "" {
				t.Errorf("got HTML %d bytes and text %d bytes, want both parts", len(got.HTML), len(got.Text))
			}
			wantTags := map[string]string{"kind": string(kind), "message_id": m.ID}
			if len(got.Tags) != len(wantTags) || got.Tags["kind"] != wantTags["kind"] || got.Tags["message_id"] != wantTags["message_id"] {
				t.Errorf("got tags %v, want %v", got.Tags, wantTags)
			}
		})
	}

	t.Run("an invalid message is not sent", func(t *testing.T) {
		s := &fakeSender{}
		m := fixedMessage(mail.EmailValidation, "en")
		m.Link = ""
		if err := newMailer(tpl, s, newLedger()).Deliver(context.Background(), m); err == nil {
			t.Error("got nil error, want one for a validation mail without link")
		}
		if len(s.sent) != 0 {
			t.Errorf("got %d emails sent, want none", len(s.sent))
		}
	})

	t.Run("a sender failure is returned", func(t *testing.T) {
		down := errors.New("ses throttled")
		s := &fakeSender{err: down}
		err := newMailer(tpl, s, newLedger()).Deliver(context.Background(), fixedMessage(mail.AccountExists, "en"))
		if !errors.Is(err, down) {
			t.Errorf("got %v, want the sender's error", err)
		}
	})
}

func TestMailerSendsEachMessageOnce(t *testing.T) {
	tpl := loadTemplates(t)
	ctx := context.Background()

	t.Run("a message delivered twice is mailed once", func(t *testing.T) {
		s, l := &fakeSender{}, newLedger()
		m := newMailer(tpl, s, l)
		for range 2 {
			if err := m.Deliver(ctx, fixedMessage(mail.Welcome, "en")); err != nil {
				t.Fatal(err)
			}
		}
		if len(s.sent) != 1 {
			t.Errorf("got %d mails, want 1", len(s.sent))
		}
	})
	t.Run("a failed send frees the message for the retry", func(t *testing.T) {
		s, l := &fakeSender{err: errors.New("throttled")}, newLedger()
		m := newMailer(tpl, s, l)
		if err := m.Deliver(ctx, fixedMessage(mail.Welcome, "en")); err == nil {
			t.Fatal("got nil, want the send error")
		}
		s.err = nil
		if err := m.Deliver(ctx, fixedMessage(mail.Welcome, "en")); err != nil {
			t.Fatal(err)
		}
		if len(s.sent) != 2 || l.releases != 1 || l.state[fixedMessage(mail.Welcome, "en").ID] != "sent" {
			t.Errorf("attempts %d, releases %d, state %q", len(s.sent), l.releases, l.state[fixedMessage(mail.Welcome, "en").ID])
		}
	})
	t.Run("a message another worker is sending right now is retried later, not sent twice", func(t *testing.T) {
		s, l := &fakeSender{}, newLedger()
		id := fixedMessage(mail.Welcome, "en").ID
		l.state[id], l.lease[id] = "sending", created.Add(time.Minute)
		err := newMailer(tpl, s, l).Deliver(ctx, fixedMessage(mail.Welcome, "en"))
		if !errors.Is(err, mail.ErrInFlight) || len(s.sent) != 0 {
			t.Errorf("got %v and %d mails, want ErrInFlight and none", err, len(s.sent))
		}
	})
	t.Run("a suppressed address is never mailed", func(t *testing.T) {
		s, l := &fakeSender{}, newLedger()
		l.suppressed["ada@example.com"] = true
		m := fixedMessage(mail.EmailValidation, "en")
		m.To = " ADA@example.com"
		if err := newMailer(tpl, s, l).Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
		if len(s.sent) != 0 {
			t.Errorf("got %d mails to a suppressed address", len(s.sent))
		}
	})
}

// FuzzDecode: whatever an SQS record's body holds, decoding never panics,
// and a body that decodes into a valid message encodes and decodes back to
// the same message.
func FuzzDecode(f *testing.F) {
	f.Add(`{"id":"m1","kind":"welcome","to":"ada@example.com","language":"en","createdAt":"2030-01-01T00:00:00Z"}`)
	f.Add(`{"id":"m1","kind":"from_the_future"}`)
	f.Add(`"quoted"`)
	f.Fuzz(func(t *testing.T, body string) {
		m, err := mail.Decode(body)
		if err != nil {
			return
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		back, err := mail.Decode(again)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Errorf("body %q decoded to %+v, which round-trips to %+v (%v)", body, m, back, err)
		}
	})
}
