package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/sesmail"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/sizing"
)

func subjects(mails []devstack.Mail) []string {
	var out []string
	for _, m := range mails {
		out = append(out, m.Subject)
	}
	return out
}

func TestWelcomeAfterVerification(t *testing.T) {
	s := newStack(t, nil)
	s.register(person("welcome@example.com"))
	tok := s.verificationToken("welcome@example.com")
	if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}); r.status != 200 {
		t.Fatalf("verify: %d", r.status)
	}
	s.deliverMail()
	got := subjects(s.mailsTo("welcome@example.com"))
	if len(got) != 2 || !strings.HasPrefix(got[1], "Welcome to Test Shop") {
		t.Errorf("mails = %q, want the link and then a welcome", got)
	}
	// A second click changes nothing and welcomes nobody twice.
	s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
	s.deliverMail()
	if n := len(s.mailsTo("welcome@example.com")); n != 2 {
		t.Errorf("mails after a second click = %d, want 2", n)
	}
}

func TestStoreOwnerNotification(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.NotifyStoreOwner, st.StoreOwnerEmail, st.StoreOwnerLanguage = true, "owner-e2e@shop.example", "de"
	})
	body := person("newbie@example.com")
	body["firstName"] = "www.evil.example" // letters and dots pass the name pattern; no mail may link it
	if r := s.register(body); r.status != http.StatusAccepted {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	s.deliverMail()
	mails := s.mailsTo("owner-e2e@shop.example")
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "neue Kundenregistrierung") {
		t.Fatalf("owner mails = %q", subjects(mails))
	}
	if !strings.Contains(mails[0].HTML, "newbie@example.com") || strings.Contains(mails[0].HTML, `www.evil.example`) ||
		len(mails[0].Links) != 0 {
		t.Errorf("owner mail HTML = %s", mails[0].HTML)
	}
}

func TestResend(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) { st.ClientLimits.Resend.Max = 0 })
	resend := func(email string) response {
		t.Helper()
		r := s.postJSON("/v1/verify-email/resend", map[string]string{"email": email})
		if r.status != http.StatusAccepted || string(r.body) != `{"status":"accepted"}` {
			t.Fatalf("resend %s: %d %s", email, r.status, r.body)
		}
		return r
	}
	s.register(person("again@example.com"))
	first := s.verificationToken("again@example.com")

	t.Run("an unverified customer gets a new link that works", func(t *testing.T) {
		s.clock.Advance(2 * time.Minute) // past the interval since registration's own link
		resend(" AGAIN@example.com ")
		s.deliverMail()
		mails := s.mailsTo("again@example.com")
		if len(mails) != 2 {
			t.Fatalf("mails = %q, want 2 links", subjects(mails))
		}
		newTok := s.verificationToken("again@example.com")
		if newTok == first {
			t.Fatal("the resent link carries the old token")
		}
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": newTok, "password": "correct horse"}); r.status != 200 {
			t.Errorf("the new link does not verify: %d %s", r.status, r.body)
		}
	})

	t.Run("unknown and verified addresses get the same answer and no mail", func(t *testing.T) {
		before := len(s.mailsTo("again@example.com"))
		a, b := resend("nobody-at-all@example.com"), resend("again@example.com")
		if string(a.body) != string(b.body) || a.header.Get("Content-Type") != b.header.Get("Content-Type") {
			t.Errorf("answers differ: %s vs %s", a.body, b.body)
		}
		s.deliverMail()
		if n := len(s.mailsTo("nobody-at-all@example.com")); n != 0 {
			t.Errorf("an unknown address got %d mails", n)
		}
		// again@ is verified by now: a welcome came, but no new link.
		for _, m := range s.mailsTo("again@example.com")[before:] {
			if strings.Contains(m.Subject, "confirm") {
				t.Errorf("a verified customer got another link: %q", m.Subject)
			}
		}
	})

	t.Run("the registration's own link holds off a resend for a minute", func(t *testing.T) {
		s.register(person("eager@example.com"))
		resend("eager@example.com")
		s.deliverMail()
		if n := len(s.mailsTo("eager@example.com")); n != 1 {
			t.Errorf("mails = %d, want only the registration's link", n)
		}
	})

	t.Run("one address gets at most one link a minute", func(t *testing.T) {
		s.register(person("hammer@example.com"))
		s.deliverMail()
		s.clock.Advance(2 * time.Minute)
		for range 3 {
			resend("hammer@example.com")
		}
		s.deliverMail()
		if n := len(s.mailsTo("hammer@example.com")); n != 2 {
			t.Errorf("mails = %d, want the registration link and one resent link", n)
		}
		s.clock.Advance(61 * time.Second)
		resend("hammer@example.com")
		s.deliverMail()
		if n := len(s.mailsTo("hammer@example.com")); n != 3 {
			t.Errorf("mails after the interval = %d, want 3", n)
		}
	})

	t.Run("bad input is refused", func(t *testing.T) {
		r := s.postJSON("/v1/verify-email/resend", map[string]string{"email": "not an address"})
		if r.status != 400 || r.code(t) != "validation_failed" {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

func TestResendPerClientCap(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.ClientLimits.Resend = settings.Limit{Max: 2, Window: settings.Duration(time.Hour)}
	})
	for i := range 2 {
		if r := s.postJSON("/v1/verify-email/resend", map[string]string{"email": "cap@example.com"}); r.status != http.StatusAccepted {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := s.postJSON("/v1/verify-email/resend", map[string]string{"email": "cap@example.com"})
	if r.status != http.StatusTooManyRequests || r.code(t) != "too_many_requests" || r.header.Get("Retry-After") == "" {
		t.Errorf("request over the cap: %d %s (Retry-After %q), want 429 too_many_requests with Retry-After", r.status, r.body, r.header.Get("Retry-After"))
	}
	// Only two jobs were stored, and the Pipe carries exactly those.
	if jobs := s.outboxItems(); len(jobs) != 2 {
		t.Errorf("jobs stored = %d, want 2", len(jobs))
	}
	if n, err := s.pipe.Once(context.Background()); err != nil || n != 2 {
		t.Errorf("jobs piped to the queue = %d, %v; want 2", n, err)
	}
}

// flakySender fails for chosen recipients, the first `times` times (forever
// when times is negative), and passes everything else to SES.
type flakySender struct {
	next  mail.Sender
	mu    sync.Mutex
	fail  map[string]int
	tries map[string]int
}

func (f *flakySender) Send(ctx context.Context, e mail.Email) error {
	f.mu.Lock()
	f.tries[e.To]++
	left, ok := f.fail[e.To]
	if ok && left != 0 {
		f.fail[e.To] = left - 1
		f.mu.Unlock()
		return errors.New("ses: Throttling: Maximum sending rate exceeded")
	}
	f.mu.Unlock()
	return f.next.Send(ctx, e)
}

// mailerWith wires the mailer as mailapp.New does, around a given sender.
func (s *stack) mailerWith(sender mail.Sender) *devstack.Poller {
	rt := app.Runtime{Now: s.clock.Now, Random: rand.Reader, Log: discardLog()}
	cfg := config.Config{Table: s.res.Table, Settings: s.settings, CookieSecure: true}
	c, err := mailapp.NewWith(cfg, app.NewStore(cfg, s.clients.DynamoDB, rt), captcha.Sources{}, rt, sender)
	if err != nil {
		s.t.Fatal(err)
	}
	return devstack.NewPoller(s.clients.SQS, s.res.QueueURL, s.res.QueueARN, c.Handle, discardLog())
}

// enqueue puts messages on the mail queue directly, as the Pipe would.
func (s *stack) enqueue(msgs ...outbox.Message) {
	s.t.Helper()
	for _, m := range msgs {
		body, err := m.Encode()
		if err != nil {
			s.t.Fatal(err)
		}
		if _, err := s.clients.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: aws.String(s.res.QueueURL), MessageBody: aws.String(body)}); err != nil {
			s.t.Fatalf("send: %v", err)
		}
	}
}

// TestDuplicateDeliveryMailsOnce: SQS delivers at least once; the same
// message arriving twice produces one mail.
func TestDuplicateDeliveryMailsOnce(t *testing.T) {
	s := newStack(t, nil)
	msg := outbox.New("dup-"+testName(t), s.clock.Now(), outbox.Recipient{Email: "twice@example.com", Language: "en"}, mail.WelcomeMail{})
	s.enqueue(msg, msg)
	s.deliverMail()
	if n := len(s.mailsTo("twice@example.com")); n != 1 {
		t.Errorf("mails = %d, want 1", n)
	}
}

// TestTransientFailureRetriesOnlyThatMail: SES throttles one mail of a
// batch; the others go out at once, the throttled one on the next receive.
func TestTransientFailureRetriesOnlyThatMail(t *testing.T) {
	s := newStack(t, nil)
	flaky := &flakySender{next: sesmail.New(s.clients.SES, ""), fail: map[string]int{"slow@example.com": 1}, tries: map[string]int{}}
	poller := s.mailerWith(flaky)
	var batch []outbox.Message
	for _, to := range []string{"fast1@example.com", "slow@example.com", "fast2@example.com"} {
		batch = append(batch, outbox.New("t-"+to, s.clock.Now(), outbox.Recipient{Email: to, Language: "en"}, mail.WelcomeMail{}))
	}
	s.enqueue(batch...)
	until(t, poller, func() bool { return len(s.mailsTo("slow@example.com")) == 1 })
	for _, to := range []string{"fast1@example.com", "fast2@example.com", "slow@example.com"} {
		if n := len(s.mailsTo(to)); n != 1 {
			t.Errorf("%s got %d mails, want 1", to, n)
		}
	}
	if flaky.tries["slow@example.com"] != 2 || flaky.tries["fast1@example.com"] != 1 {
		t.Errorf("tries = %v: the failed mail must be retried alone", flaky.tries)
	}
}

// TestPoisonMailEndsInDeadLetterQueue: a mail that keeps failing is received
// a bounded number of times and then parked in the dead-letter queue.
func TestPoisonMailEndsInDeadLetterQueue(t *testing.T) {
	s := newStack(t, nil)
	flaky := &flakySender{next: sesmail.New(s.clients.SES, ""), fail: map[string]int{"poison@example.com": -1}, tries: map[string]int{}}
	poller := s.mailerWith(flaky)
	msg := outbox.New("poison-"+testName(t), s.clock.Now(), outbox.Recipient{Email: "poison@example.com", Language: "en"}, mail.WelcomeMail{})
	s.enqueue(msg)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && flaky.tries["poison@example.com"] < sizing.MailMaxReceives+2 {
		if _, err := poller.Once(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if inDLQ(t, s) > 0 {
			break
		}
	}
	if got := flaky.tries["poison@example.com"]; got != sizing.MailMaxReceives {
		t.Errorf("tries = %d, want %d", got, sizing.MailMaxReceives)
	}
	if n := inDLQ(t, s); n != 1 {
		t.Errorf("dead-letter queue holds %d messages, want 1", n)
	}
}

func inDLQ(t *testing.T, s *stack) int {
	t.Helper()
	out, err := s.clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(s.res.DLQURL), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range out.Attributes["ApproximateNumberOfMessages"] {
		n = n*10 + int(c-'0')
	}
	return n
}

// until polls the queue (waiting out visibility timeouts) until done holds,
// for at most 20 seconds.
func until(t *testing.T, p *devstack.Poller, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !done(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
		if _, err := p.Once(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBounceSuppressesAddress: after SES reports a hard bounce, the address is
// not mailed again; other addresses are.
func TestBounceSuppressesAddress(t *testing.T) {
	s := newStack(t, nil)
	var ev events.EventBridgeEvent
	loadEvent(t, "ses-bounce.json", &ev)
	h := app.NewFeedback(config.Config{Table: s.res.Table, Settings: s.settings}, s.clients.DynamoDB, app.Runtime{Now: s.clock.Now, Log: discardLog(), Random: rand.Reader})
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Bounce struct {
			BouncedRecipients []struct{ EmailAddress string } `json:"bouncedRecipients"`
		} `json:"bounce"`
	}
	_ = json.Unmarshal(ev.Detail, &d)
	bounced := d.Bounce.BouncedRecipients[0].EmailAddress
	if suppressed, _ := s.db.Suppressed(context.Background(), customer.NormalizeLogin(bounced)); !suppressed {
		t.Fatalf("%s was not suppressed", bounced)
	}
	s.register(person(bounced))
	s.register(person("fine@example.com"))
	s.deliverMail()
	if n := len(s.mailsTo(bounced)); n != 0 {
		t.Errorf("a hard-bounced address got %d mails", n)
	}
	if n := len(s.mailsTo("fine@example.com")); n != 1 {
		t.Errorf("a healthy address got %d mails, want 1", n)
	}

	t.Run("a complaint suppresses the complaining address", func(t *testing.T) {
		var c events.EventBridgeEvent
		loadEvent(t, "ses-complaint.json", &c)
		if err := h.Handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if suppressed, _ := s.db.Suppressed(context.Background(), "annoyed@example.com"); !suppressed {
			t.Error("a complaint did not suppress the address")
		}
	})

	t.Run("a transient bounce suppresses nothing", func(t *testing.T) {
		ev2 := ev
		ev2.Detail = json.RawMessage(strings.Replace(string(ev.Detail), `"Permanent"`, `"Transient"`, 1))
		ev2.Detail = json.RawMessage(strings.Replace(string(ev2.Detail), bounced, "soft@example.com", 1))
		if err := h.Handle(context.Background(), ev2); err != nil {
			t.Fatal(err)
		}
		if suppressed, _ := s.db.Suppressed(context.Background(), "soft@example.com"); suppressed {
			t.Error("a transient bounce suppressed the address")
		}
	})
}

func testName(t *testing.T) string { return strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) }
