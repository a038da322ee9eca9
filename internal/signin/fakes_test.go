package signin_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/token"
)

// fakeStore is an in-memory signin.Store. Its failure counting follows the
// real store: failures count inside a window, a failure after the window
// starts a new one, and reaching max stores the lock and starts counting
// afresh.
type fakeStore struct {
	mu         sync.Mutex
	emails     map[string]string // normalised email -> customer id
	usernames  map[string]string // normalised username -> customer id
	customers  map[string]customer.Customer
	failures   map[string]signin.Failures
	activities []customer.Activity

	lookups       []string // "kind:key" of every CustomerIDByLogin call
	recorded      []string // login keys of every counted attempt
	cleared       []string // login keys of every ClearFailures call
	hashUpdates   []hashUpdate
	failuresReads int
	customerReads int

	// Errors to return, when set.
	hashUpdateErr error
	customerErr   error
	failuresErr   error
}

type hashUpdate struct{ id, old, new string }

func newFakeStore() *fakeStore {
	return &fakeStore{
		emails: map[string]string{}, usernames: map[string]string{},
		customers: map[string]customer.Customer{}, failures: map[string]signin.Failures{},
	}
}

// add stores a customer under its normalised email and username.
func (s *fakeStore) add(c customer.Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[c.ID] = c
	s.emails[customer.NormalizeLogin(c.Email)] = c.ID
	if c.Username != "" {
		s.usernames[customer.NormalizeLogin(c.Username)] = c.ID
	}
}

func (s *fakeStore) setStatus(id string, st customer.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[id]
	c.Status = st
	s.customers[id] = c
}

func (s *fakeStore) CustomerIDByLogin(_ context.Context, kind, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups = append(s.lookups, kind+":"+key)
	var m map[string]string
	switch kind {
	case "email":
		m = s.emails
	case "username":
		m = s.usernames
	default:
		return "", fmt.Errorf("fakeStore: unknown login kind %q", kind)
	}
	id, ok := m[key]
	if !ok {
		return "", customer.ErrNotFound
	}
	return id, nil
}

func (s *fakeStore) Customer(_ context.Context, id string) (customer.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customerReads++
	if s.customerErr != nil {
		return customer.Customer{}, s.customerErr
	}
	c, ok := s.customers[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound
	}
	return c, nil
}

// CountAttempt follows the real store: attempts count in a window, the
// attempt that reaches max stores the lock, a live lock refuses, and an
// expired lock or window starts afresh.
func (s *fakeStore) CountAttempt(_ context.Context, key string, now time.Time, window time.Duration, max int, lockUntil time.Time) (signin.Failures, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failuresReads++
	if s.failuresErr != nil {
		return signin.Failures{}, false, s.failuresErr
	}
	st, ok := s.failures[key]
	if ok && now.Before(st.LockedUntil) {
		return st, false, nil
	}
	if ok && st.LockedUntil.IsZero() && st.WindowStart.After(now.Add(-window)) {
		st.Count++
	} else {
		st = signin.Failures{Count: 1, WindowStart: now}
	}
	if st.Count == max {
		st.LockedUntil = lockUntil
	}
	s.failures[key] = st
	s.recorded = append(s.recorded, key)
	return st, true, nil
}

// counted is the number of attempts counted and not cleared again: the
// failures that stay on the login's record.
func (s *fakeStore) counted() int { return len(s.recorded) - len(s.cleared) }

func (s *fakeStore) ClearFailures(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleared = append(s.cleared, key)
	delete(s.failures, key)
	return nil
}

func (s *fakeStore) UpdatePasswordHash(_ context.Context, id, old, new string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashUpdates = append(s.hashUpdates, hashUpdate{id, old, new})
	if s.hashUpdateErr != nil {
		return s.hashUpdateErr
	}
	c, ok := s.customers[id]
	if !ok || c.PasswordHash != old {
		return errors.New("fakeStore: password hash changed meanwhile")
	}
	c.PasswordHash = new
	s.customers[id] = c
	return nil
}

func (s *fakeStore) AddActivity(_ context.Context, a customer.Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.activities = append(s.activities, a)
	return nil
}

// memSessions is an in-memory session.Store for the real session.Manager.
type memSessions struct {
	mu       sync.Mutex
	sessions map[string]session.Session
	deletes  int
}

func (m *memSessions) CreateSession(_ context.Context, s session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[s.Digest]; ok {
		return errors.New("memSessions: session exists")
	}
	m.sessions[s.Digest] = s
	return nil
}

func (m *memSessions) Session(_ context.Context, digest string) (session.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[digest]
	if !ok {
		return session.Session{}, session.ErrNotFound
	}
	return s, nil
}

func (m *memSessions) DeleteSession(_ context.Context, digest string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deletes++
	delete(m.sessions, digest)
	return nil
}

// clock is a settable fixed clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var start = time.Date(2030, 6, 1, 8, 0, 0, 0, time.UTC)

// cheap are argon2 parameters fast enough for unit tests.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

const goodPassword = "correct horse battery"

type fixture struct {
	settings settings.Settings
	store    *fakeStore
	sessions *memSessions
	mgr      *session.Manager
	hasher   *password.Hasher
	clock    *clock
	svc      *signin.Service
}

// newFixture wires a Service over fakes with settings changed by opts.
func newFixture(t *testing.T, opts ...func(*settings.Settings)) *fixture {
	t.Helper()
	s := settings.Default()
	s.PasswordHashing = cheap
	s.Lockout = settings.Lockout{MaxFailedAttempts: 3, Window: settings.Duration(30 * time.Minute), Duration: settings.Duration(15 * time.Minute)}
	for _, o := range opts {
		o(&s)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings are invalid: %v", err)
	}
	random := rand.NewChaCha8([32]byte{42})
	hasher, err := password.NewHasher(cheap, random)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{settings: s, store: newFakeStore(), sessions: &memSessions{sessions: map[string]session.Session{}},
		hasher: hasher, clock: &clock{t: start}}
	f.mgr = session.NewManager(f.sessions, token.NewGenerator(random), session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime)}, f.clock.Now)
	f.svc = signin.New(s, f.store, f.mgr, hasher, f.clock.Now, slog.New(slog.DiscardHandler))
	return f
}

// addCustomer stores a customer whose password is goodPassword.
func (f *fixture) addCustomer(t *testing.T, c customer.Customer) customer.Customer {
	t.Helper()
	if c.PasswordHash == "" {
		h, err := f.hasher.Hash(goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		c.PasswordHash = h
	}
	f.store.add(c)
	return c
}

// ada is an active customer.
func ada() customer.Customer {
	return customer.Customer{ID: "cust-ada", Email: "Ada@Example.com", Username: "ada_l", Status: customer.Active}
}
