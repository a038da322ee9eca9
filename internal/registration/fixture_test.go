package registration_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
	"github.com/openreg/registration/internal/token"
)

const publicAPI = "https://api.shop.example"

// now is the fixture's clock; the date rules are written against it.
var now = time.Date(2030, 3, 14, 9, 26, 53, 0, time.UTC)

// cheap are argon2 parameters fast enough for unit tests.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// fixture is a Service over the in-memory store every use case's unit tests
// share (it passes the same store contract as the DynamoDB store).
type fixture struct {
	settings settings.Settings
	store    *memstore.Store
	mgr      *session.Manager
	hasher   *password.Hasher
	clock    *storetest.Clock
	svc      *registration.Service
	salts    *countingReader
}

// newFixture wires a Service; opts change the settings.
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
	// The hasher draws its salts from a reader of its own, so a test can
	// tell whether a password was hashed.
	salts := &countingReader{r: rand.NewChaCha8([32]byte{4})}
	hasher, err := password.NewHasher(cheap, salts)
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(now)
	f := &fixture{settings: s, store: memstore.New(clock.Now), hasher: hasher, clock: clock, salts: salts}
	log := slog.New(slog.DiscardHandler)
	gate := captcha.New(s.Captcha, s.URLs, captcha.Sources{}.SecretOf(s.Captcha), http.DefaultClient, log)
	f.mgr = session.NewManager(f.store, token.NewGenerator(random), session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime)}, clock.Now)
	f.svc = registration.New(registration.Deps{
		Settings: s, Store: f.store, Sessions: f.mgr, Hasher: hasher, Captcha: gate,
		Random: random, Now: clock.Now, Log: log,
	})
	salts.reads = 0 // the hasher's own dummy hash at construction
	return f
}

// countingReader counts the reads of a random source.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// hashed reports whether any password was hashed yet.
func (f *fixture) hashed() bool { return f.salts.reads > 0 }

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
	cs, ps := f.store.Stored()
	if n := len(cs) + len(ps); n != 1 {
		t.Fatalf("got %d stored customers and pending registrations, want 1", n)
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return ps[0].Customer(customer.Unverified)
}

// signedIn is the customer whose session startSession stores.
const signedIn = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"

// startSession stores a live session for another customer and returns its
// token, as a request that carries a session would.
func (f *fixture) startSession(t *testing.T) string {
	t.Helper()
	issued, sess, err := f.mgr.New(signedIn, false, session.Client{})
	if err != nil {
		t.Fatal(err)
	}
	f.store.StartSession(sess)
	return issued.Token
}

// sessionLive reports whether a session token still authenticates.
func (f *fixture) sessionLive(plain string) bool {
	_, _, err := f.mgr.Authenticate(context.Background(), plain)
	return err == nil
}

// nothingStored fails the test when the store saw a write (beyond the
// customer startSession put there).
func (f *fixture) nothingStored(t *testing.T) {
	t.Helper()
	cs, ps := f.store.Stored()
	real := 0
	for _, c := range cs {
		if c.ID != signedIn {
			real++
		}
	}
	if n := real + len(ps); n != 0 {
		t.Errorf("got %d customers and pending registrations stored, want none", n)
	}
	if n := len(f.store.Outbox); n != 0 {
		t.Errorf("got %d mails in the outbox, want none", n)
	}
	if n := len(f.store.Activities) + len(f.store.Consents); n != 0 {
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
