package mail_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/outbox/outboxtest"
	"github.com/openreg/registration/internal/store/memstore"
)

// decoder knows the mails (the mailer function's registry knows the jobs
// too).
func decoder() *outbox.Registry {
	r := outbox.NewRegistry()
	mail.Register(r)
	return r
}

func TestDecode(t *testing.T) {
	var mails []outbox.Message
	for _, kind := range mail.Kinds() {
		mails = append(mails, fixedMessage(kind, "de"))
	}
	outboxtest.RoundTrip(t, decoder(), mails...)
	tests := []struct {
		name    string
		body    string
		wantErr []string
	}{
		{"a mail without recipient is refused", `{"id":"m1","kind":"welcome","content":{}}`, []string{"to is empty"}},
		{"a validation mail without link is refused", `{"id":"m1","kind":"email_validation","to":{"email":"ada@example.com"}}`,
			[]string{"needs a link"}},
		{"a store-owner notice about nobody is refused", `{"id":"m1","kind":"store_owner_new_customer","to":{"email":"o@example.com"}}`,
			[]string{"needs the customer it is about"}},
		{"a content of the wrong shape is refused", `{"id":"m1","kind":"email_validation","to":{"email":"a@example.com"},"content":{"link":7}}`,
			[]string{"email_validation content"}},
		{"every problem is reported at once", `{"kind":"email_validation","content":{}}`,
			[]string{"id is empty", "to is empty", "needs a link"}},
		{"a sign-in code mail without a code is refused", `{"id":"m1","kind":"sign_in_code","to":{"email":"ada@example.com"},"content":{"expiresAt":"2030-01-02T03:19:05Z"}}`,
			[]string{"needs a code"}},
		{"a sign-in code that is not 6 digits is refused", `{"id":"m1","kind":"sign_in_code","to":{"email":"ada@example.com"},"content":{"code":"12345a"}}`,
			[]string{"a code has 6 digits"}},
		{"a validation mail with a 5-digit code is refused", `{"id":"m1","kind":"email_validation","to":{"email":"ada@example.com"},"content":{"link":"https://x.example/v","code":"12345"}}`,
			[]string{"a code has 6 digits"}},
		{"a reset mail with a 7-digit code is refused", `{"id":"m1","kind":"password_reset","to":{"email":"ada@example.com"},"content":{"link":"https://x.example/r","code":"1234567"}}`,
			[]string{"a code has 6 digits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { outboxtest.Refuses(t, decoder(), tt.body, tt.wantErr...) })
	}
	t.Run("a validation mail without a code decodes (the code is optional)", func(t *testing.T) {
		outboxtest.Decodes(t, decoder(), `{"id":"m1","kind":"email_validation","to":{"email":"ada@example.com"},"content":{"link":"https://x.example/v"}}`,
			outbox.Message{ID: "m1", To: outbox.Recipient{Email: "ada@example.com"}, Content: mail.Validation{Link: "https://x.example/v"}})
	})
	t.Run("a minimal account-exists message decodes", func(t *testing.T) {
		outboxtest.Decodes(t, decoder(), `{"id":"m1","kind":"account_exists","to":{"email":"ada@example.com","language":"de"}}`,
			outbox.Message{ID: "m1", To: outbox.Recipient{Email: "ada@example.com", Language: "de"}, Content: mail.AccountExistsNotice{}})
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

// newLedger is the shared in-memory store, as the mailer's ledger.
func newLedger() *memstore.Store { return memstore.New(func() time.Time { return created }) }

const from = "no-reply@shop.example"

func newMailer(tpl *mail.Templates, s mail.Sender, l mail.Ledger) *mail.Mailer {
	return mail.NewMailer(mail.MailerDeps{Templates: tpl, Sender: s, Ledger: l, From: from, StoreName: storeName,
		Now: func() time.Time { return created }, Log: slog.New(slog.DiscardHandler)})
}

func TestMailerDeliver(t *testing.T) {
	tpl := loadTemplates(t)

	for _, kind := range mail.Kinds() {
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
			if got.From != from || got.To != m.To.Email {
				t.Errorf("got From %q To %q, want From %q To %q", got.From, got.To, from, m.To.Email)
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

	invalid := []struct {
		name   string
		change func(m *outbox.Message)
	}{
		{"a validation mail without link is not sent", func(m *outbox.Message) { m.Content = mail.Validation{} }},
		{"a mail without recipient is not sent", func(m *outbox.Message) { m.To.Email = "" }},
		{"a job is not sent as a mail", func(m *outbox.Message) { m.Content = job{} }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{}
			m := fixedMessage(mail.EmailValidation, "en")
			tt.change(&m)
			if err := newMailer(tpl, s, newLedger()).Deliver(context.Background(), m); err == nil {
				t.Error("got nil error, want one")
			}
			if len(s.sent) != 0 {
				t.Errorf("got %d emails sent, want none", len(s.sent))
			}
		})
	}

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
		if len(s.sent) != 2 {
			t.Errorf("got %d attempts, want the failed one and the retry", len(s.sent))
		}
		if err := l.Claim(ctx, fixedMessage(mail.Welcome, "en").ID, created, time.Minute); !errors.Is(err, outbox.ErrAlreadySent) {
			t.Errorf("after the retry the ledger says %v, want ErrAlreadySent", err)
		}
	})
	t.Run("a message another worker is sending right now is retried later, not sent twice", func(t *testing.T) {
		s, l := &fakeSender{}, newLedger()
		id := fixedMessage(mail.Welcome, "en").ID
		if err := l.Claim(ctx, id, created, time.Minute); err != nil { // the other worker's claim
			t.Fatal(err)
		}
		err := newMailer(tpl, s, l).Deliver(ctx, fixedMessage(mail.Welcome, "en"))
		if !errors.Is(err, outbox.ErrInFlight) || len(s.sent) != 0 {
			t.Errorf("got %v and %d mails, want ErrInFlight and none", err, len(s.sent))
		}
	})
	for _, tt := range []struct {
		name string
		kind outbox.Kind
		want int
	}{
		{"a suppressed address is never mailed", mail.EmailValidation, 0},
		{"an address-change link goes to a suppressed address all the same", mail.EmailChangeConfirm, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, l := &fakeSender{}, newLedger()
			if err := l.Suppress(ctx, "ada@example.com", "Permanent", created); err != nil {
				t.Fatal(err)
			}
			m := fixedMessage(tt.kind, "en")
			m.To.Email = " ADA@example.com"
			if err := newMailer(tpl, s, l).Deliver(ctx, m); err != nil {
				t.Fatal(err)
			}
			if len(s.sent) != tt.want {
				t.Errorf("got %d mails to a suppressed address, want %d", len(s.sent), tt.want)
			}
		})
	}
}

// job is content that is not a mail.
type job struct{}

func (job) Kind() outbox.Kind { return "some_job" }
func (job) Check() error      { return nil }
