package registration_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/token"
)

// fakeStore is an in-memory registration.Store. Like the real store it
// writes an account all or nothing and enforces uniqueness of the email key
// (checked first) and the username key in that write. It does not normalise
// keys itself: that is the service's job.
type fakeStore struct {
	sessions *memSessions // an account's session lands here, as in the real table

	customers     map[string]customer.Customer
	emailKeys     map[string]string // email key -> customer id
	usernameKeys  map[string]string // username key -> customer id
	verifications map[string]registration.Verification
	consents      []customer.ConsentRecord
	activities    []customer.Activity
	outbox        []mail.Message
	accounts      []registration.Account // committed accounts
	attempts      []mail.Message         // jobs stored by RecordAttempt

	createCalls int
	notices     map[string]noticeClaim

	// Errors to return, when set.
	createErr, lookupErr, customerErr, recordErr error
}

func newFakeStore(sessions *memSessions) *fakeStore {
	return &fakeStore{
		sessions: sessions, customers: map[string]customer.Customer{}, emailKeys: map[string]string{},
		usernameKeys: map[string]string{}, verifications: map[string]registration.Verification{},
	}
}

func (s *fakeStore) CreateAccount(_ context.Context, acc registration.Account) error {
	s.createCalls++
	if s.createErr != nil {
		return s.createErr
	}
	// Like the real store: the username is reported first, so its answer
	// does not depend on whether the email address is registered.
	if _, ok := s.usernameKeys[acc.UsernameKey]; ok && acc.UsernameKey != "" {
		return registration.ErrUsernameTaken
	}
	if _, ok := s.emailKeys[acc.EmailKey]; ok {
		return registration.ErrEmailTaken
	}
	if _, ok := s.customers[acc.Customer.ID]; ok {
		return errors.New("fakeStore: customer id exists")
	}
	s.customers[acc.Customer.ID] = acc.Customer
	s.emailKeys[acc.EmailKey] = acc.Customer.ID
	if acc.UsernameKey != "" {
		s.usernameKeys[acc.UsernameKey] = acc.Customer.ID
	}
	if v := acc.Verification; v != nil {
		s.verifications[v.Digest] = *v
	}
	if acc.Session != nil {
		if err := s.sessions.CreateSession(context.Background(), *acc.Session); err != nil {
			return err
		}
	}
	if acc.RevokeSession != "" {
		if err := s.sessions.DeleteSession(context.Background(), acc.RevokeSession); err != nil {
			return err
		}
	}
	s.consents = append(s.consents, acc.Consents...)
	s.outbox = append(s.outbox, acc.Outbox...)
	s.accounts = append(s.accounts, acc)
	return nil
}

func (s *fakeStore) CustomerIDByEmail(_ context.Context, emailKey string) (string, error) {
	if s.lookupErr != nil {
		return "", s.lookupErr
	}
	id, ok := s.emailKeys[emailKey]
	if !ok {
		return "", customer.ErrNotFound
	}
	return id, nil
}

func (s *fakeStore) Customer(_ context.Context, id string) (customer.Customer, error) {
	if s.customerErr != nil {
		return customer.Customer{}, s.customerErr
	}
	c, ok := s.customers[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound
	}
	return c, nil
}

func (s *fakeStore) RecordAttempt(_ context.Context, job mail.Message, revokeSession string) error {
	if s.recordErr != nil {
		return s.recordErr
	}
	if revokeSession != "" {
		if err := s.sessions.DeleteSession(context.Background(), revokeSession); err != nil {
			return err
		}
	}
	s.attempts = append(s.attempts, job)
	s.outbox = append(s.outbox, job)
	return nil
}

func (s *fakeStore) AddActivity(_ context.Context, a customer.Activity) error {
	s.activities = append(s.activities, a)
	return nil
}

// fakeOutbox records what it is asked to flush.
type fakeOutbox struct{ flushes [][]mail.Message }

func (o *fakeOutbox) Flush(_ context.Context, msgs []mail.Message) {
	o.flushes = append(o.flushes, append([]mail.Message(nil), msgs...))
}

// flushed returns every message flushed, in order.
func (o *fakeOutbox) flushed() []mail.Message {
	var all []mail.Message
	for _, f := range o.flushes {
		all = append(all, f...)
	}
	return all
}

// memSessions is an in-memory session.Store for the real session.Manager.
type memSessions struct {
	sessions map[string]session.Session
	deletes  []string
}

func (m *memSessions) CreateSession(_ context.Context, s session.Session) error {
	if _, ok := m.sessions[s.Digest]; ok {
		return errors.New("memSessions: session exists")
	}
	m.sessions[s.Digest] = s
	return nil
}

func (m *memSessions) Session(_ context.Context, digest string) (session.Session, error) {
	s, ok := m.sessions[digest]
	if !ok {
		return session.Session{}, session.ErrNotFound
	}
	return s, nil
}

func (m *memSessions) DeleteSession(_ context.Context, digest string) error {
	m.deletes = append(m.deletes, digest)
	delete(m.sessions, digest)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// Advance moves the clock forward.
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

var now = time.Date(2030, 3, 14, 9, 26, 53, 0, time.UTC)

const publicAPI = "https://api.shop.example"

// cheap are argon2 parameters fast enough for unit tests.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

type fixture struct {
	settings settings.Settings
	store    *fakeStore
	outbox   *fakeOutbox
	sessions *memSessions
	mgr      *session.Manager
	hasher   *password.Hasher
	clock    *clock
	svc      *registration.Service
}

// newFixture wires a Service over fakes; opts change the settings.
func newFixture(t *testing.T, opts ...func(*settings.Settings)) *fixture {
	t.Helper()
	s := settings.Default()
	s.PasswordHashing = cheap
	s.URLs.PublicAPI = publicAPI
	for _, o := range opts {
		o(&s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings are invalid: %v", err)
	}
	random := rand.NewChaCha8([32]byte{3})
	hasher, err := password.NewHasher(cheap, random)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{settings: s, outbox: &fakeOutbox{}, sessions: &memSessions{sessions: map[string]session.Session{}},
		hasher: hasher, clock: &clock{t: now}}
	f.store = newFakeStore(f.sessions)
	tokens := token.NewGenerator(random)
	f.mgr = session.NewManager(f.sessions, tokens, session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime)}, f.clock.Now)
	f.svc = registration.New(registration.Deps{
		Settings: s, Store: f.store, Outbox: f.outbox, Sessions: f.mgr, Hasher: hasher,
		Tokens: tokens, Random: random, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	return f
}

func withType(rt settings.RegistrationType) func(*settings.Settings) {
	return func(s *settings.Settings) { s.RegistrationType = rt }
}

// register runs a registration and fails the test on an error.
func (f *fixture) register(t *testing.T, req registration.Request) registration.Result {
	t.Helper()
	res, err := f.svc.Register(context.Background(), req)
	if err != nil {
		t.Fatalf("Register(%q): got %v, want success", req.Email, err)
	}
	return res
}

// onlyCustomer returns the one stored customer, failing otherwise.
func (f *fixture) onlyCustomer(t *testing.T) customer.Customer {
	t.Helper()
	if len(f.store.customers) != 1 {
		t.Fatalf("got %d stored customers, want 1", len(f.store.customers))
	}
	for _, c := range f.store.customers {
		return c
	}
	panic("unreachable")
}

// startSession stores a live session for another customer and returns its
// token, as a request that carries a session would.
func (f *fixture) startSession(t *testing.T) string {
	t.Helper()
	issued, err := f.mgr.Start(context.Background(), "signed-in-customer", false)
	if err != nil {
		t.Fatal(err)
	}
	return issued.Token
}

// sessionLive reports whether a session token still authenticates.
func (f *fixture) sessionLive(plain string) bool {
	_, err := f.mgr.Authenticate(context.Background(), plain)
	return err == nil
}

// nothingStored fails the test when the store or the outbox saw a write.
func (f *fixture) nothingStored(t *testing.T) {
	t.Helper()
	if n := len(f.store.customers); n != 0 {
		t.Errorf("got %d customers stored, want none", n)
	}
	if n := len(f.store.outbox); n != 0 {
		t.Errorf("got %d mails in the outbox, want none", n)
	}
	if n := len(f.store.verifications); n != 0 {
		t.Errorf("got %d verification tokens, want none", n)
	}
	if n := len(f.store.activities) + len(f.store.consents); n != 0 {
		t.Errorf("got %d activity and consent records, want none", n)
	}
	if n := len(f.outbox.flushed()); n != 0 {
		t.Errorf("got %d mails flushed, want none", n)
	}
}

func ptr[T any](v T) *T { return &v }

// validRequest passes the default settings.
func validRequest() registration.Request {
	return registration.Request{
		Email:    "ada@example.com",
		Password: "analytical engine",
		Profile:  customer.Profile{FirstName: "Ada", LastName: "Lovelace"},
		Language: []string{"en-GB"},
		SourceIP: "192.0.2.7",
	}
}

// ClaimNotice follows the real store: one notice per address per interval,
// and a retry of the same job passes.
func (s *fakeStore) ClaimNotice(_ context.Context, key, jobID string, now time.Time, interval time.Duration) (bool, error) {
	if s.notices == nil {
		s.notices = map[string]noticeClaim{}
	}
	last, ok := s.notices[key]
	if ok && last.job != jobID && now.Before(last.at.Add(interval)) {
		return false, nil
	}
	s.notices[key] = noticeClaim{job: jobID, at: now}
	return true, nil
}

type noticeClaim struct {
	job string
	at  time.Time
}
