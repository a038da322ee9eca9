package session_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/token"
)

// memStore is an in-memory session.Store that counts its calls.
type memStore struct {
	mu       sync.Mutex
	sessions map[string]session.Session
	calls    int
	err      error // returned by every call when set
}

func newMemStore() *memStore { return &memStore{sessions: map[string]session.Session{}} }

func (m *memStore) CreateSession(_ context.Context, s session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return m.err
	}
	if _, ok := m.sessions[s.Digest]; ok {
		return errors.New("memStore: session exists")
	}
	m.sessions[s.Digest] = s
	return nil
}

func (m *memStore) Session(_ context.Context, digest string) (session.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return session.Session{}, m.err
	}
	s, ok := m.sessions[digest]
	if !ok {
		return session.Session{}, session.ErrNotFound
	}
	return s, nil
}

func (m *memStore) DeleteSession(_ context.Context, digest string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return m.err
	}
	delete(m.sessions, digest)
	return nil
}

// clock is a settable fixed clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

var start = time.Date(2030, 3, 14, 9, 26, 53, 0, time.UTC)

var lifetimes = session.Lifetimes{Default: 24 * time.Hour, RememberMe: 30 * 24 * time.Hour}

type fixture struct {
	store *memStore
	clock *clock
	mgr   *session.Manager
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{store: newMemStore(), clock: &clock{t: start}}
	tokens := token.NewGenerator(rand.NewChaCha8([32]byte{1}))
	f.mgr = session.NewManager(f.store, tokens, lifetimes, f.clock.Now)
	return f
}

func wantCode(t *testing.T, err error, want apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := apperr.CodeOf(err); got != want {
		t.Fatalf("got error code %s (%v), want %s", got, err, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name       string
		rememberMe bool
		wantLife   time.Duration
	}{
		{"a normal session lasts the default lifetime", false, lifetimes.Default},
		{"a remember-me session lasts the remember-me lifetime", true, lifetimes.RememberMe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			issued, s, err := f.mgr.New("cust-1", tt.rememberMe)
			if err != nil {
				t.Fatal(err)
			}
			wantExpiry := start.Add(tt.wantLife)
			if !issued.ExpiresAt.Equal(wantExpiry) {
				t.Errorf("got issued expiry %v, want %v", issued.ExpiresAt, wantExpiry)
			}
			want := session.Session{Digest: token.Digest(issued.Token), CustomerID: "cust-1",
				RememberMe: tt.rememberMe, CreatedAt: start, ExpiresAt: wantExpiry}
			if s != want {
				t.Errorf("got session %+v, want %+v", s, want)
			}
			if !token.WellFormed(issued.Token) {
				t.Errorf("got token %q, want a well-formed token", issued.Token)
			}
			if f.store.calls != 0 {
				t.Errorf("got %d store calls, want New to store nothing", f.store.calls)
			}
		})
	}

	t.Run("the expiry is truncated to whole seconds", func(t *testing.T) {
		f := newFixture(t)
		f.clock.t = start.Add(700 * time.Millisecond)
		issued, _, err := f.mgr.New("cust-1", false)
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(lifetimes.Default); !issued.ExpiresAt.Equal(want) {
			t.Errorf("got %v, want %v", issued.ExpiresAt, want)
		}
	})

	t.Run("two sessions get different tokens", func(t *testing.T) {
		f := newFixture(t)
		a, _, _ := f.mgr.New("cust-1", false)
		b, _, _ := f.mgr.New("cust-1", false)
		if a.Token == b.Token {
			t.Errorf("got the same token twice: %q", a.Token)
		}
	})
}

func TestStartAndAuthenticate(t *testing.T) {
	ctx := context.Background()

	t.Run("a started session is stored under its digest and authenticates", func(t *testing.T) {
		f := newFixture(t)
		issued, err := f.mgr.Start(ctx, "cust-1", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.store.sessions[issued.Token]; ok {
			t.Error("got the plain token as a store key, want only its digest stored")
		}
		got, err := f.mgr.Authenticate(ctx, issued.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.CustomerID != "cust-1" || got.Digest != token.Digest(issued.Token) {
			t.Errorf("got %+v, want the session of cust-1", got)
		}
	})

	t.Run("a store failure while starting is returned", func(t *testing.T) {
		f := newFixture(t)
		f.store.err = apperr.New(apperr.Unavailable, "down")
		_, err := f.mgr.Start(ctx, "cust-1", false)
		wantCode(t, err, apperr.Unavailable)
	})

	tests := []struct {
		name string
		// token returns the token to authenticate, given a started one.
		token     func(issued string) string
		advance   time.Duration
		wantCalls int // store reads Authenticate may make
	}{
		{"a malformed token is refused without a store read",
			func(string) string { return "not-a-token" }, 0, 0},
		{"an empty token is refused without a store read",
			func(string) string { return "" }, 0, 0},
		{"an over-long token is refused without a store read",
			func(s string) string { return s + "A" }, 0, 0},
		{"an unknown well-formed token is refused",
			func(string) string { return strings.Repeat("A", 43) }, 0, 1},
		{"a session is refused at exactly its expiry",
			func(s string) string { return s }, lifetimes.Default, 1},
		{"a session is refused after its expiry",
			func(s string) string { return s }, lifetimes.Default + time.Hour, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			issued, err := f.mgr.Start(ctx, "cust-1", false)
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(tt.advance)
			f.store.calls = 0
			_, err = f.mgr.Authenticate(ctx, tt.token(issued.Token))
			wantCode(t, err, apperr.Unauthenticated)
			if f.store.calls != tt.wantCalls {
				t.Errorf("got %d store calls, want %d", f.store.calls, tt.wantCalls)
			}
		})
	}

	t.Run("a session is accepted one second before its expiry", func(t *testing.T) {
		f := newFixture(t)
		issued, _ := f.mgr.Start(ctx, "cust-1", false)
		f.clock.Advance(lifetimes.Default - time.Second)
		if _, err := f.mgr.Authenticate(ctx, issued.Token); err != nil {
			t.Errorf("got %v, want the session accepted", err)
		}
	})

	t.Run("a store failure while authenticating is not reported as unauthenticated", func(t *testing.T) {
		f := newFixture(t)
		issued, _ := f.mgr.Start(ctx, "cust-1", false)
		f.store.err = apperr.New(apperr.Unavailable, "down")
		_, err := f.mgr.Authenticate(ctx, issued.Token)
		wantCode(t, err, apperr.Unavailable)
	})
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()

	t.Run("a revoked session no longer authenticates", func(t *testing.T) {
		f := newFixture(t)
		issued, _ := f.mgr.Start(ctx, "cust-1", false)
		other, _ := f.mgr.Start(ctx, "cust-2", false)
		if err := f.mgr.Revoke(ctx, issued.Token); err != nil {
			t.Fatal(err)
		}
		_, err := f.mgr.Authenticate(ctx, issued.Token)
		wantCode(t, err, apperr.Unauthenticated)
		if _, err := f.mgr.Authenticate(ctx, other.Token); err != nil {
			t.Errorf("got %v for another customer's session, want it untouched", err)
		}
	})

	tests := []struct {
		name      string
		token     string
		wantCalls int
	}{
		{"revoking a malformed token succeeds without a store call", "garbage", 0},
		{"revoking an empty token succeeds without a store call", "", 0},
		{"revoking an unknown token succeeds", strings.Repeat("B", 43), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.mgr.Revoke(ctx, tt.token); err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if f.store.calls != tt.wantCalls {
				t.Errorf("got %d store calls, want %d", f.store.calls, tt.wantCalls)
			}
		})
	}

	t.Run("a store failure while revoking is returned", func(t *testing.T) {
		f := newFixture(t)
		issued, _ := f.mgr.Start(ctx, "cust-1", false)
		f.store.err = apperr.New(apperr.Unavailable, "down")
		wantCode(t, f.mgr.Revoke(ctx, issued.Token), apperr.Unavailable)
	})
}
