package registration_test

import (
	"context"
	"github.com/openreg/registration/internal/apperr"
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

// fakeStore is an in-memory registration.Store: it writes a Standard
// account or a pending registration all or nothing, and enforces the
// uniqueness of the email key and the username key in that write (the
// username first). It does not normalise keys itself: that is the service's
// job.
type fakeStore struct {
	sessions *memSessions // an account's session lands here, as in the real table

	customers    map[string]customer.Customer
	pending      map[string]registration.Pending
	emailKeys    map[string]string // email key -> customer id
	usernameKeys map[string]string // username key -> customer or registration id
	consents     []customer.ConsentRecord
	activities   []customer.Activity
	outbox       []mail.Message

	// createCalls counts writes, refused or not.
	createCalls int
	// createErr is returned by every write when set.
	createErr error
}

func newFakeStore(sessions *memSessions) *fakeStore {
	return &fakeStore{sessions: sessions, customers: map[string]customer.Customer{}, pending: map[string]registration.Pending{},
		emailKeys: map[string]string{}, usernameKeys: map[string]string{}}
}

func (s *fakeStore) CreateAccount(_ context.Context, acc registration.Account) error {
	s.createCalls++
	if s.createErr != nil {
		return s.createErr
	}
	if _, ok := s.usernameKeys[acc.UsernameKey]; ok && acc.UsernameKey != "" {
		return registration.ErrUsernameTaken
	}
	if _, ok := s.emailKeys[acc.EmailKey]; ok {
		return registration.ErrEmailTaken
	}
	s.customers[acc.Customer.ID] = acc.Customer
	s.emailKeys[acc.EmailKey] = acc.Customer.ID
	if acc.UsernameKey != "" {
		s.usernameKeys[acc.UsernameKey] = acc.Customer.ID
	}
	if acc.Session != nil {
		s.sessions.sessions[acc.Session.Digest] = *acc.Session
	}
	if !acc.RevokeSession.IsZero() {
		delete(s.sessions.sessions, acc.RevokeSession.Digest)
	}
	s.consents = append(s.consents, acc.Consents...)
	s.activities = append(s.activities, acc.Activity)
	s.outbox = append(s.outbox, acc.Outbox...)
	return nil
}

func (s *fakeStore) Submit(_ context.Context, sub registration.Submission) error {
	s.createCalls++
	if s.createErr != nil {
		return s.createErr
	}
	p := sub.Pending
	if _, ok := s.usernameKeys[p.UsernameKey]; ok && p.UsernameKey != "" {
		return registration.ErrUsernameTaken
	}
	s.pending[p.ID] = p
	if p.UsernameKey != "" {
		s.usernameKeys[p.UsernameKey] = p.ID
	}
	if !sub.RevokeSession.IsZero() {
		delete(s.sessions.sessions, sub.RevokeSession.Digest)
	}
	s.consents = append(s.consents, p.Consents...)
	s.outbox = append(s.outbox, sub.Job)
	return nil
}

// memSessions is an in-memory session.Store for the real session.Manager.
type memSessions struct {
	sessions map[string]session.Session
}

func (m *memSessions) SessionOf(_ context.Context, r session.Ref) (session.Session, customer.Customer, error) {
	s, ok := m.sessions[r.Digest]
	if !ok || s.CustomerID != r.CustomerID {
		return session.Session{}, customer.Customer{}, session.ErrNotFound
	}
	return s, customer.Customer{ID: s.CustomerID, Status: customer.Active}, nil
}

func (m *memSessions) EndSession(_ context.Context, r session.Ref, _ customer.Activity) error {
	delete(m.sessions, r.Digest)
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
	f := &fixture{settings: s, sessions: &memSessions{sessions: map[string]session.Session{}},
		hasher: hasher, clock: &clock{t: now}}
	f.store = newFakeStore(f.sessions)
	tokens := token.NewGenerator(random)
	f.mgr = session.NewManager(f.sessions, tokens, session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime)}, f.clock.Now)
	f.svc = registration.New(registration.Deps{
		Settings: s, Store: f.store, Sessions: f.mgr, Hasher: hasher,
		Random: random, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler),
	})
	return f
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

// onlyCustomer returns the one stored customer (or the account the one
// pending registration becomes), failing otherwise.
func (f *fixture) onlyCustomer(t *testing.T) customer.Customer {
	t.Helper()
	if n := len(f.store.customers) + len(f.store.pending); n != 1 {
		t.Fatalf("got %d stored customers and pending registrations, want 1", n)
	}
	for _, c := range f.store.customers {
		return c
	}
	for _, p := range f.store.pending {
		return p.Customer(customer.Unverified)
	}
	panic("unreachable")
}

// startSession stores a live session for another customer and returns its
// token, as a request that carries a session would.
func (f *fixture) startSession(t *testing.T) string {
	t.Helper()
	issued, sess, err := f.mgr.New("0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f", false)
	if err != nil {
		t.Fatal(err)
	}
	f.sessions.sessions[sess.Digest] = sess
	return issued.Token
}

// sessionLive reports whether a session token still authenticates.
func (f *fixture) sessionLive(plain string) bool {
	_, _, err := f.mgr.Authenticate(context.Background(), plain)
	return err == nil
}

// nothingStored fails the test when the store or the outbox saw a write.
func (f *fixture) nothingStored(t *testing.T) {
	t.Helper()
	if n := len(f.store.customers) + len(f.store.pending); n != 0 {
		t.Errorf("got %d customers and pending registrations stored, want none", n)
	}
	if n := len(f.store.outbox); n != 0 {
		t.Errorf("got %d mails in the outbox, want none", n)
	}
	if n := len(f.store.activities) + len(f.store.consents); n != 0 {
		t.Errorf("got %d activity and consent records, want none", n)
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

// wantCode fails the test unless err is an apperr.Error with code want.
func wantCode(t *testing.T, err error, want apperr.Code) *apperr.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	e := apperr.As(err)
	if e.Code != want {
		t.Fatalf("got error code %s (%v), want %s", e.Code, err, want)
	}
	return e
}

var ctx = context.Background()
