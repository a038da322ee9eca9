package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/store/storetest"
	"github.com/openreg/registration/internal/testenv"
	"github.com/openreg/registration/internal/throttle"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// t0 is the store's clock. It lies in the future: DynamoDB Local runs TTL
// deletions, and items stamped in the past would vanish while a test reads
// them.
var t0 = time.Date(2036, 11, 21, 10, 0, 0, 0, time.UTC)

// newStore creates a fresh table on DynamoDB Local.
func newStore(t *testing.T) (*store.Store, *dynamodb.Client, string) {
	t.Helper()
	db := testenv.Clients(t).DynamoDB
	table := testenv.Name("store")
	if err := store.CreateTable(context.Background(), db, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return store.New(db, table, nil, func() time.Time { return t0 }), db, table
}

func newAccount(id, email, username string) account.Creation {
	c := customer.Customer{ID: id, StoreID: "default", Email: email, Username: username, Status: customer.Unverified,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", Language: "en",
		Profile: customer.Profile{FirstName: "Ada"}, CreatedAt: t0, UpdatedAt: t0}
	acc := account.Creation{
		Customer: c, EmailKey: customer.NormalizeLogin(email),
		Consents: []customer.ConsentRecord{{CustomerID: id, ConsentID: "terms", Agreed: true, Message: "Terms", At: t0}},
		Outbox:   []outbox.Message{outbox.New("mail-"+id, t0, outbox.Recipient{Email: email}, mail.Validation{Link: "https://x/v1/verify-email?token=t"})},
	}
	if username != "" {
		acc.UsernameKey = customer.NormalizeLogin(username)
	}
	return acc
}

func count(t *testing.T, db *dynamodb.Client, table string) int {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), Select: "COUNT"})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return int(out.Count)
}

func TestCreateAccount(t *testing.T) {
	ctx := context.Background()
	s, db, table := newStore(t)

	t.Run("writes the customer, its keys, consent and outbox mail together", func(t *testing.T) {
		if err := s.CreateAccount(ctx, newAccount("c1", "Ada@Example.com", "ada")); err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		// customer, email key, username key, consent, outbox
		if got, want := count(t, db, table), 5; got != want {
			t.Errorf("items = %d, want %d", got, want)
		}
		got, err := s.Customer(ctx, "c1")
		if err != nil {
			t.Fatalf("Customer: %v", err)
		}
		if got.Email != "Ada@Example.com" || got.Status != customer.Unverified || got.Profile.FirstName != "Ada" || !got.CreatedAt.Equal(t0) {
			t.Errorf("customer read back = %+v", got)
		}
		id, err := s.CustomerIDByEmail(ctx, "ada@example.com")
		if err != nil || id != "c1" {
			t.Errorf("CustomerIDByEmail = %q, %v; want c1", id, err)
		}
		for _, kind := range []string{"email", "username"} {
			key := map[string]string{"email": "ada@example.com", "username": "ada"}[kind]
			view, err := s.Login(ctx, kind, key)
			if err != nil || view.ID != "c1" || view.PasswordHash != got.PasswordHash || view.Status != customer.Unverified ||
				view.Language != "en" || view.StoreID != "default" {
				t.Errorf("Login(%s) = %+v, %v; want c1's sign-in view", kind, view, err)
			}
		}
	})

	t.Run("refuses a second account for the same address and writes nothing of it", func(t *testing.T) {
		before := count(t, db, table)
		err := s.CreateAccount(ctx, newAccount("c2", "ada@example.com", "other"))
		if !errors.Is(err, account.ErrEmailTaken) {
			t.Fatalf("err = %v, want ErrEmailTaken", err)
		}
		if got := count(t, db, table); got != before {
			t.Errorf("items = %d, want unchanged %d", got, before)
		}
	})

	t.Run("refuses a taken username", func(t *testing.T) {
		err := s.CreateAccount(ctx, newAccount("c3", "grace@example.com", "ADA"))
		if !errors.Is(err, account.ErrUsernameTaken) {
			t.Fatalf("err = %v, want ErrUsernameTaken", err)
		}
	})

	t.Run("reports an unknown customer as not found", func(t *testing.T) {
		if _, err := s.Customer(ctx, "nobody"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("err = %v, want customer.ErrNotFound", err)
		}
		if _, err := s.CustomerIDByEmail(ctx, "nobody@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("err = %v, want customer.ErrNotFound", err)
		}
	})
}

func TestCreateAccountRace(t *testing.T) {
	ctx := context.Background()
	s, db, table := newStore(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateAccount(ctx, newAccount(fmt.Sprintf("race-%d", i), "race@example.com", ""))
		}()
	}
	wg.Wait()
	ok, taken := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, account.ErrEmailTaken):
			taken++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || taken != n-1 {
		t.Errorf("created %d, refused %d; want exactly 1 and %d", ok, taken, n-1)
	}
	// customer, email key, consent, outbox of the winner only
	if got, want := count(t, db, table), 4; got != want {
		t.Errorf("items = %d, want %d (one account)", got, want)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, db, table := newStore(t)
	acc := newAccount("s1", "s1@example.com", "")
	acc.Customer.Status = customer.Active
	want := session.Session{Digest: "d1", CustomerID: "s1", RememberMe: true, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	acc.Session = &want
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, c, err := s.SessionOf(ctx, want.Ref())
	if err != nil {
		t.Fatalf("SessionOf: %v", err)
	}
	if got != want || c.ID != "s1" || c.Status != customer.Active || c.Email != "s1@example.com" {
		t.Errorf("session = %+v with customer %+v, want %+v of s1", got, c, want)
	}
	if _, _, err := s.SessionOf(ctx, session.Ref{CustomerID: "other", Digest: "d1"}); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("the digest under another customer: %v, want ErrNotFound", err)
	}
	out := customer.Activity{Type: customer.ActivitySignedOut, At: t0, CustomerID: "s1"}
	if err := s.EndSession(ctx, want.Ref(), out, nil); err != nil {
		t.Fatalf("EndSession: %v", err)
	}
	if _, _, err := s.SessionOf(ctx, want.Ref()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("after EndSession err = %v, want ErrNotFound", err)
	}
	before := count(t, db, table)
	if err := s.EndSession(ctx, want.Ref(), out, nil); err != nil {
		t.Fatalf("ending it again: %v", err)
	}
	if after := count(t, db, table); after != before {
		t.Errorf("ending a gone session wrote %d items, want none (no activity for nothing)", after-before)
	}
}

func TestThrottleCounters(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	limit := settings.Limit{Max: 5, Window: settings.Duration(15 * time.Minute)}

	t.Run("counts concurrent events exactly: only max of them pass", func(t *testing.T) {
		c, _ := throttle.NewCounter(throttle.ClientRegister, limit, t0, "192.0.2.1")
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed, refused := 0, 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Count(ctx, c)
				var ex *throttle.Exceeded
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					passed++
				case errors.As(err, &ex):
					refused++
					if ra := ex.RetryAfter(); ra != 15*time.Minute {
						t.Errorf("Retry-After = %s, want the rest of the window (15m)", ra)
					}
				default:
					t.Errorf("Count: %v", err)
				}
			}()
		}
		wg.Wait()
		if passed != 5 || refused != 15 {
			t.Errorf("passed %d, refused %d; want 5 and 15", passed, refused)
		}
	})
	t.Run("a new window starts a new count", func(t *testing.T) {
		c, _ := throttle.NewCounter(throttle.ClientRegister, limit, t0.Add(15*time.Minute), "192.0.2.1")
		if err := s.Count(ctx, c); err != nil {
			t.Errorf("first event of the next window: %v", err)
		}
	})
	t.Run("a gated counter past its limit lets one event through per gate", func(t *testing.T) {
		at := t0.Add(time.Hour)
		c, _ := throttle.NewCounter(throttle.SignInLogin, settings.Limit{Max: 1, Window: settings.Duration(time.Hour)}, at, "login")
		c.Gate = 3 * time.Second
		if err := s.Count(ctx, c); err != nil {
			t.Fatalf("under the limit: %v", err)
		}
		c.Now = at.Add(time.Second)
		var ex *throttle.Exceeded
		if err := s.Count(ctx, c); !errors.As(err, &ex) {
			t.Fatalf("inside the gate: %v, want refused", err)
		} else if ra := ex.RetryAfter(); ra != 2*time.Second {
			t.Errorf("Retry-After = %s, want 2s (when the gate opens)", ra)
		}
		c.Now = at.Add(3 * time.Second)
		if err := s.Count(ctx, c); err != nil {
			t.Errorf("gate open: %v, want counted", err)
		}
	})
}

// TestOutboxReachesTheStream: the mails of a committed change reach the
// table's stream as inserted outbox items, oldest first, each once; a
// refused change puts nothing there. The template's outbox Pipe (its
// filter and input template, run by devstack) forwards exactly those.
func TestOutboxReachesTheStream(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	clients := testenv.Clients(t)
	for i, id := range []string{"o1", "o2", "o3"} {
		acc := newAccount(id, id+"@example.com", "")
		acc.Outbox[0].CreatedAt = t0.Add(time.Duration(i) * time.Second)
		if err := s.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	// Refused: the address is taken, so its mail must not be sent.
	taken := newAccount("o4", "o1@example.com", "")
	if err := s.CreateAccount(ctx, taken); !errors.Is(err, account.ErrEmailTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	q, err := clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.Name("outbox"))})
	if err != nil {
		t.Fatal(err)
	}
	pipe := outboxPipe(t, clients, table, aws.ToString(q.QueueUrl))
	if n, err := pipe.Once(ctx); err != nil || n != 3 {
		t.Fatalf("pipe sent %d, %v; want the three committed mails", n, err)
	}
	if n, err := pipe.Once(ctx); err != nil || n != 0 {
		t.Errorf("second pass sent %d, %v; want nothing again", n, err)
	}
	mails := outbox.NewRegistry()
	mail.Register(mails)
	var got []string
	for len(got) < 4 {
		out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			msg, err := mails.Decode(aws.ToString(m.Body))
			if err != nil {
				t.Fatalf("queue body is not a mail message: %v", err)
			}
			got = append(got, msg.ID)
		}
	}
	if fmt.Sprint(got) != "[mail-o1 mail-o2 mail-o3]" {
		t.Errorf("queue holds %v, want the three committed mails in order", got)
	}
}

// outboxPipe is the template's Pipe to the mail queue, from table's stream
// to the queue at queueURL.
func outboxPipe(t *testing.T, clients devstack.Clients, table, queueURL string) *devstack.Pipe {
	t.Helper()
	wd, _ := os.Getwd()
	root, err := devstack.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := devstack.LoadTemplate(filepath.Join(root, devstack.TemplatePath))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := clients.DynamoDB.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	logicalID := func(raw json.RawMessage) string {
		var g struct {
			GetAtt []string `json:"Fn::GetAtt"`
		}
		if err := json.Unmarshal(raw, &g); err != nil || len(g.GetAtt) != 2 {
			t.Fatalf("%s is not a Fn::GetAtt", raw)
		}
		return g.GetAtt[0]
	}
	for _, def := range tpl.Pipes {
		target := logicalID(def.Target)
		if tpl.Types[target] != "AWS::SQS::Queue" {
			continue
		}
		queue := map[string]string{"Arn": "arn:aws:sqs:us-east-1:123456789012:" + queueURL[strings.LastIndex(queueURL, "/")+1:], "QueueUrl": queueURL}
		locals := devstack.Locals{logicalID(def.Source): {"StreamArn": aws.ToString(desc.Table.LatestStreamArn)},
			target: queue, logicalID(def.DeadLetter): queue}
		p, err := devstack.NewPipe(def, locals, clients, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatal("the template has no Pipe to a queue")
	return nil
}

func TestPasswordHashUpdateIsConditional(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	acc := newAccount("p1", "p1@example.com", "")
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	rehashed := customer.Activity{CustomerID: "p1", Type: customer.ActivityPasswordRehash, At: t0}
	stale := acc.Customer
	stale.PasswordHash = "not-the-current-hash"
	if err := s.UpdatePasswordHash(ctx, stale, "new", rehashed); err == nil {
		t.Error("update with a stale old hash succeeded")
	}
	if err := s.UpdatePasswordHash(ctx, acc.Customer, "new", rehashed); err != nil {
		t.Fatalf("update: %v", err)
	}
	c, _ := s.Customer(ctx, "p1")
	view, _ := s.Login(ctx, "email", "p1@example.com")
	if c.PasswordHash != "new" || view.PasswordHash != "new" {
		t.Errorf("hash = %q, login view's %q; want new on both", c.PasswordHash, view.PasswordHash)
	}
}

func TestUnavailableDatabase(t *testing.T) {
	// A client aimed at a port nothing listens on stands in for an outage.
	cfg := testenv.AWSConfig(t)
	cfg.RetryMaxAttempts = 1
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	s := store.New(db, "any", nil, nil)
	err := s.CreateAccount(context.Background(), newAccount("x", "x@example.com", ""))
	if got := apperr.CodeOf(err); got != apperr.Unavailable {
		t.Errorf("code = %s (%v), want %s", got, err, apperr.Unavailable)
	}
	if _, err := s.Customer(context.Background(), "x"); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("read during outage: %v, want unavailable", err)
	}
}

// The store keeps passkeys as the in-memory store does.
var _ storetest.Store = (*store.Store)(nil)

// TestContract runs the store contract, which the in-memory store of the
// unit tests passes too, against DynamoDB Local.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock *storetest.Clock) storetest.Store {
		db := testenv.Clients(t).DynamoDB
		table := testenv.Name("contract")
		if err := store.CreateTable(context.Background(), db, table); err != nil {
			t.Fatalf("create table: %v", err)
		}
		return store.New(db, table, nil, clock.Now)
	})
}

// TestReplacementKeepsTheRegistrationEntry: an unverified account that a
// new registration replaces keeps the entry of the registration that
// created it (the account's own entries live on its item).
func TestReplacementKeepsTheRegistrationEntry(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	pending := func(id string) registration.Pending {
		return registration.Pending{ID: id, StoreID: "default", Email: "rep@example.com", EmailKey: "rep@example.com",
			PasswordHash: "h-" + id, Language: "en", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	job := func(id string) outbox.Message {
		return outbox.New("job-"+id, t0, outbox.Recipient{}, registration.CompleteJob{RegistrationID: id})
	}
	first := pending("0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f")
	if err := s.Submit(ctx, registration.Submission{Pending: first, Job: job(first.ID)}); err != nil {
		t.Fatal(err)
	}
	created := first.Customer(customer.Unverified)
	registered := customer.Activity{CustomerID: created.ID, Type: customer.ActivityRegistered, At: t0, Detail: map[string]string{"sourceIp": "10.0.0.1"}}
	if err := s.Complete(ctx, registration.Completion{Registration: first, Outcome: registration.Created, Customer: created, Activity: registered}); err != nil {
		t.Fatal(err)
	}
	prev, err := s.Customer(ctx, created.ID)
	if err != nil || prev.Registered == nil {
		t.Fatalf("after creation: %+v, %v; want the registration entry on the account", prev.Registered, err)
	}
	second := pending("1c7a3d2f-6e3b-4d2c-8a4f-3b2c4d5e6f70")
	second.CreatedAt = t0.Add(time.Second) // received after the first
	if err := s.Submit(ctx, registration.Submission{Pending: second, Job: job(second.ID)}); err != nil {
		t.Fatal(err)
	}
	next := second.Customer(customer.Unverified)
	next.ID, next.CreatedAt = prev.ID, prev.CreatedAt
	if err := s.Complete(ctx, registration.Completion{Registration: second, Outcome: registration.Replaced, Customer: next, Previous: &prev,
		Activity: customer.Activity{CustomerID: prev.ID, Type: customer.ActivityRegistrationReplaced, At: t0}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Customer(ctx, prev.ID)
	if got.PasswordHash != "h-"+second.ID || got.Registered == nil || got.Registered.Type != customer.ActivityRegistered ||
		!got.Registered.At.Equal(t0) || got.Registered.Detail["sourceIp"] != "10.0.0.1" {
		t.Errorf("after replacement: hash %q, registered %+v; want the new hash and the first registration's entry", got.PasswordHash, got.Registered)
	}
}

// lostAnswer is a DynamoDB client whose first PutItem succeeds and then
// fails as a connection lost before the answer would: the SDK's retry
// sends the same put again.
type lostAnswer struct {
	store.API
	lost bool
}

func (l *lostAnswer) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := l.API.PutItem(ctx, in, opts...)
	if err == nil && !l.lost {
		l.lost = true
		out, err = l.API.PutItem(ctx, in, opts...) // the retry, after the lost answer
	}
	return out, err
}

// TestRetriedSinglePutIsItsOwnSuccess: a one-item write runs as a plain
// conditional put; when its answer is lost and the retry finds its own item,
// the write succeeded, as a transaction's retry would.
func TestRetriedSinglePutIsItsOwnSuccess(t *testing.T) {
	ctx := context.Background()
	_, db, table := newStore(t)
	s := store.New(&lostAnswer{API: db}, table, nil, func() time.Time { return t0 })
	p := registration.Pending{ID: "2d8b4e30-7f4c-4e3d-9b50-4c3d5e6f7081", Email: "retry@example.com", EmailKey: "retry@example.com",
		PasswordHash: "h", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	job := outbox.New("job-retry", t0, outbox.Recipient{}, registration.CompleteJob{RegistrationID: p.ID})
	if err := s.Submit(ctx, registration.Submission{Pending: p, Job: job}); err != nil {
		t.Errorf("Submit after a lost answer: %v, want success", err)
	}
	if got, err := s.PendingRegistration(ctx, p.ID); err != nil || got.ID != p.ID {
		t.Errorf("pending = %+v, %v", got, err)
	}
	other := p
	other.EmailKey = "other@example.com"
	if err := store.New(db, table, nil, func() time.Time { return t0 }).Submit(ctx, registration.Submission{Pending: other, Job: job}); err == nil {
		t.Error("a different registration under the same id was accepted")
	}
}
