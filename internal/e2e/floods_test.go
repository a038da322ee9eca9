package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/registration"
)

// wantLinks delivers the mail due and fails the test unless want
// verification links in all have been mailed to addr; when says at what
// point, for the message.
func (s *stack) wantLinks(addr string, want int, when string) {
	s.t.Helper()
	s.deliverMail()
	n := 0
	for _, m := range s.mailsTo(addr) {
		for _, l := range m.Links {
			if strings.Contains(l, "/v1/verify-email?") {
				n++
			}
		}
	}
	if n != want {
		s.t.Fatalf("%d links %s, want %d", n, when, want)
	}
}

// TestLinksCannotFloodAMailbox: whatever causes them, one address gets at
// most one verification link per resend interval; re-registrations within
// it mail nothing and the link already mailed confirms the newest one.
func TestLinksCannotFloodAMailbox(t *testing.T) {
	t.Run("six registrations within seconds mail one link, which confirms the last", func(t *testing.T) {
		s := newStack(t, nil)
		email := "flooded@example.com"
		for i := range 6 {
			b := person(email)
			b["password"] = []string{"first pw", "second pw", "third pw", "fourth pw", "fifth pw", "sixth pw"}[i]
			if r := s.register(b); r.status != http.StatusAccepted {
				t.Fatalf("registration %d: %d %s", i, r.status, r.body)
			}
			s.clock.Advance(time.Second)
			s.deliverMail()
		}
		s.wantLinks(email, 1, "mailed")
		tok := s.verificationToken(email)
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "first pw"}); r.code(t) != "password_mismatch" {
			t.Errorf("the first registration's password: %d %s, want password_mismatch", r.status, r.body)
		}
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "sixth pw"}); r.status != http.StatusOK {
			t.Errorf("the newest registration's password: %d %s", r.status, r.body)
		}
	})
	t.Run("twenty racing registrations mail one link", func(t *testing.T) {
		s := newStack(t, nil)
		email := "raced@example.com"
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { s.register(person(email)) })
		}
		wg.Wait()
		s.wantLinks(email, 1, "mailed")
	})
	t.Run("a resend and a sign-in within the interval mail nothing more; after it, one more", func(t *testing.T) {
		s := newStack(t, nil)
		email := "patient@example.com"
		s.register(person(email))
		s.postJSON("/v1/verify-email/resend", map[string]any{"email": email})
		s.signIn(email, "correct horse")
		s.wantLinks(email, 1, "within the interval")
		s.clock.Advance(61 * time.Second)
		s.register(person(email))
		s.wantLinks(email, 2, "after the interval")
	})
	t.Run("a registration neither holds back nor voids a reset link", func(t *testing.T) {
		s := newStack(t, nil)
		email := "resetting@example.com"
		s.register(person(email))
		s.deliverMail()
		s.postJSON("/v1/password-resets", map[string]any{"email": email})
		reset := s.linkToken(email, "/v1/password-reset")
		if reset == "" {
			t.Fatal("no reset link: the registration's link held it back")
		}
		s.clock.Advance(time.Second)
		s.register(person(email))
		s.deliverMail()
		if r := s.postJSON("/v1/password-reset", map[string]any{"token": reset, "password": "reset pw"}); r.status != http.StatusNoContent {
			t.Errorf("the reset link after a re-registration: %d %s", r.status, r.body)
		}
	})
}

// TestTheNewestRegistrationWins: the mailer may complete a burst's
// registrations in any order; the account ends with the one received last.
func TestTheNewestRegistrationWins(t *testing.T) {
	s := newStack(t, nil)
	email := "ordered@example.com"
	for _, pw := range []string{"oldest pw", "middle pw", "newest pw"} {
		b := person(email)
		b["password"] = pw
		if r := s.register(b); r.status != http.StatusAccepted {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		s.clock.Advance(time.Second)
	}
	var jobs []outbox.Message
	for _, m := range s.outboxItems() {
		if m.Kind() == registration.CompleteKind {
			jobs = append(jobs, m)
		}
	}
	if len(jobs) != 3 {
		t.Fatalf("%d completion jobs, want 3", len(jobs))
	}
	// Newest first: the opposite of the order they were received in.
	slices.SortFunc(jobs, func(a, b outbox.Message) int { return b.CreatedAt.Compare(a.CreatedAt) })
	for _, j := range jobs {
		body, err := j.Encode()
		if err != nil {
			t.Fatal(err)
		}
		ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: j.ID, Body: body,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
		if resp, err := s.mailer(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("mailer: %v %+v", err, resp)
		}
	}
	tok := s.verificationToken(email)
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "newest pw"}); r.status != http.StatusOK {
		t.Errorf("the newest registration's password: %d %s", r.status, r.body)
	}
}
