// Package usecasetest builds what the use cases' unit tests (admin,
// myaccount, signin, verification, ...) run on: the default settings with
// argon2 parameters cheap enough for tests, the in-memory store every use
// case's tests share (memstore, which passes the same store contract as the
// DynamoDB store) on a settable clock, a hasher, and a session manager over
// that store. It is imported by tests only.
package usecasetest

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
	"github.com/openreg/registration/internal/token"
)

// Cheap are argon2 parameters fast enough for unit tests.
var Cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// Env is a use case's collaborators in a unit test.
type Env struct {
	// Settings are settings.Default with Cheap hashing, changed by the
	// options New was given.
	Settings settings.Settings
	Clock    *storetest.Clock
	Store    *memstore.Store
	Hasher   *password.Hasher
	// Sessions are the session manager over Store; a session lasts the
	// lifetime New was given, a remembered one a day.
	Sessions *session.Manager
	// Log discards what it is told.
	Log *slog.Logger
}

// New returns an Env whose clock is at storetest.Start and whose sessions
// last sessionLifetime; opts (nil ones skipped) change the settings.
func New(t testing.TB, sessionLifetime time.Duration, opts ...func(*settings.Settings)) *Env {
	t.Helper()
	s := settings.Default()
	s.PasswordHashing = Cheap
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	clock := storetest.NewClock(storetest.Start)
	st := memstore.New(clock.Now)
	h, err := password.NewHasher(s.PasswordHashing, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mgr := session.NewManager(st, token.NewGenerator(rand.Reader), session.Lifetimes{Default: sessionLifetime, RememberMe: 24 * time.Hour}, clock.Now)
	return &Env{Settings: s, Clock: clock, Store: st, Hasher: h, Sessions: mgr, Log: slog.New(slog.DiscardHandler)}
}

// Gate is the CAPTCHA gate settings s describe, as the composition root
// builds it, with no secrets to read and a log that discards.
func Gate(s settings.Settings) *captcha.Gate {
	return captcha.New(s.Captcha, s.URLs, captcha.Sources{}.SecretOf(s.Captcha), http.DefaultClient, slog.New(slog.DiscardHandler))
}

// WantCode fails the test now unless err is an error with code want.
func WantCode(t testing.TB, err error, want apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); err == nil || got != want {
		t.Fatalf("got %v (%s), want %s", err, got, want)
	}
}
