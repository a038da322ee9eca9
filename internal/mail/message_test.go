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
	"github.com/openreg/registration/internal/store/memstore"
)

func TestMessageValidate(t *testing.T) {
	valid := fixedMessage(mail.EmailValidation, "en")
	tests := []struct {
		name    string
		change  func(m *mail.Message)
		wantErr []string // substrings of the error; nil means valid
	}{
		{"a complete validation mail is valid", func(*mail.Message) {}, nil},
		{"an account-exists mail needs no link", func(m *mail.Message) { m.Content = mail.AccountExistsNotice{} }, nil},
		{"a job needs no recipient", func(m *mail.Message) {
			m.To, m.Content = mail.Recipient{}, mail.CompleteRegistrationJob{RegistrationID: "r1"}
		}, nil},
		{"a message without id is invalid", func(m *mail.Message) { m.ID = "" }, []string{"id is empty"}},
		{"a mail without recipient is invalid", func(m *mail.Message) { m.To.Email = "" }, []string{"to is empty"}},
		{"a job with a recipient is invalid", func(m *mail.Message) { m.Content = mail.ResendJob{Email: "x@example.com"} },
			[]string{"a job has no recipient"}},
		{"a validation mail without link is invalid", func(m *mail.Message) { m.Content = mail.Validation{} }, []string{"needs a link"}},
		{"a completion job without registration is invalid", func(m *mail.Message) {
			m.To, m.Content = mail.Recipient{}, mail.CompleteRegistrationJob{}
		}, []string{"needs a registration id"}},
		{"a store-owner notice about nobody is invalid", func(m *mail.Message) { m.Content = mail.NewCustomerNotice{} },
			[]string{"needs the customer it is about"}},
		{"a message without content is invalid", func(m *mail.Message) { m.Content = nil }, []string{"content is missing"}},
		{"every problem is reported at once", func(m *mail.Message) { m.ID, m.To.Email, m.Content = "", "", mail.Validation{} },
			[]string{"id is empty", "to is empty", "needs a link"}},
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
	for _, kind := range mail.Kinds {
		t.Run("an encoded "+string(kind)+" message decodes to the same message", func(t *testing.T) {
			want := fixedMessage(kind, "de")
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
	}
	jobs := []mail.Content{mail.ResendJob{Email: "ada@example.com", Language: "de"},
		mail.CompleteRegistrationJob{RegistrationID: "r1", StoreID: "default"},
		mail.VerificationLinkJob{CustomerID: "c1", StoreID: "default"}}
	for _, c := range jobs {
		t.Run("an encoded "+string(c.Kind())+" job decodes to the same job", func(t *testing.T) {
			want := mail.New("j1", created, mail.Recipient{}, c)
			body, err := want.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := mail.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || !got.IsJob() {
				t.Errorf("got %+v (job %v), want %+v", got, got.IsJob(), want)
			}
		})
	}

	tests := []struct {
		name string
		body string
	}{
		{"a body that is not JSON is refused", "not json"},
		{"an empty body is refused", ""},
		{"a JSON array is refused", `[1,2]`},
		{"a JSON message that fails validation is refused", `{"id":"m1","kind":"email_validation","to":{"email":"ada@example.com"}}`},
		{"a JSON message of an unknown kind is refused", `{"id":"m1","kind":"newsletter","to":{"email":"ada@example.com"}}`},
		{"a content of the wrong shape is refused", `{"id":"m1","kind":"email_validation","to":{"email":"a@example.com"},"content":{"link":7}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mail.Decode(tt.body); err == nil {
				t.Errorf("got nil error for %q, want one", tt.body)
			}
		})
	}

	t.Run("a minimal account-exists message decodes", func(t *testing.T) {
		got, err := mail.Decode(`{"id":"m1","kind":"account_exists","to":{"email":"ada@example.com","language":"de"}}`)
		if err != nil {
			t.Fatal(err)
		}
		want := mail.Message{ID: "m1", To: mail.Recipient{Email: "ada@example.com", Language: "de"}, Content: mail.AccountExistsNotice{}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

func TestContentOf(t *testing.T) {
	job := mail.New("j1", created, mail.Recipient{}, mail.ResendJob{Email: "ada@example.com"})
	if got, err := mail.ContentOf[mail.ResendJob](job); err != nil || got.Email != "ada@example.com" {
		t.Errorf("ContentOf[ResendJob] = %+v, %v; want the job's content", got, err)
	}
	if _, err := mail.ContentOf[mail.CompleteRegistrationJob](job); err == nil {
		t.Error("ContentOf of the wrong kind returned no error")
	}
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

	t.Run("an invalid message is not sent", func(t *testing.T) {
		s := &fakeSender{}
		m := fixedMessage(mail.EmailValidation, "en")
		m.Content = mail.Validation{}
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
		if len(s.sent) != 2 {
			t.Errorf("got %d attempts, want the failed one and the retry", len(s.sent))
		}
		if err := l.Claim(ctx, fixedMessage(mail.Welcome, "en").ID, created, time.Minute); !errors.Is(err, mail.ErrAlreadySent) {
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
		if !errors.Is(err, mail.ErrInFlight) || len(s.sent) != 0 {
			t.Errorf("got %v and %d mails, want ErrInFlight and none", err, len(s.sent))
		}
	})
	t.Run("a suppressed address is never mailed", func(t *testing.T) {
		s, l := &fakeSender{}, newLedger()
		if err := l.Suppress(ctx, "ada@example.com", "Permanent", created); err != nil {
			t.Fatal(err)
		}
		m := fixedMessage(mail.EmailValidation, "en")
		m.To.Email = " ADA@example.com"
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
	f.Add(`{"id":"m1","kind":"welcome","to":{"email":"ada@example.com","language":"en"},"createdAt":"2030-01-01T00:00:00Z","content":{}}`)
	f.Add(`{"id":"j1","kind":"resend_verification","createdAt":"2030-01-01T00:00:00Z","content":{"email":"ada@example.com"}}`)
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
