package session_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/event"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/token"
)

// memStore is an in-memory session.Store that counts its calls.
type memStore struct {
	mu       sync.Mutex
	sessions map[session.Ref]session.Session
	ended    []customer.Activity
	calls    int
	err      error // returned by every call when set
}

func newMemStore() *memStore { return &memStore{sessions: map[session.Ref]session.Session{}} }

// put stores a session as the use cases' own writes do.
func (m *memStore) put(s session.Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.Ref()] = s
}

func (m *memStore) SessionOf(_ context.Context, r session.Ref) (session.Session, customer.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return session.Session{}, customer.Customer{}, m.err
	}
	s, ok := m.sessions[r]
	if !ok {
		return session.Session{}, customer.Customer{}, session.ErrNotFound
	}
	return s, customer.Customer{ID: s.CustomerID, Status: customer.Active}, nil
}

func (m *memStore) EndSession(_ context.Context, r session.Ref, a customer.Activity, _ []event.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return m.err
	}
	if _, ok := m.sessions[r]; ok {
		delete(m.sessions, r)
		m.ended = append(m.ended, a)
	}
	return nil
}

func (m *memStore) TouchSession(_ context.Context, r session.Ref, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return m.err
	}
	if s, ok := m.sessions[r]; ok {
		s.LastUsedAt = at
		m.sessions[r] = s
	}
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

// Customer ids as customer.NewID makes them.
const (
	cust1 = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	cust2 = "1c7a3d2f-6e3b-4d2c-8a4f-3b2c4d5e6f70"
)

// start makes and stores a session, as sign-in's write would.
func (f fixture) start(t *testing.T, customerID string) session.Issued {
	t.Helper()
	issued, s, err := f.mgr.New(customerID, false, session.Client{})
	if err != nil {
		t.Fatal(err)
	}
	f.store.put(s)
	return issued
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
			issued, s, err := f.mgr.New(cust1, tt.rememberMe, session.Client{})
			if err != nil {
				t.Fatal(err)
			}
			wantExpiry := start.Add(tt.wantLife)
			if !issued.ExpiresAt.Equal(wantExpiry) {
				t.Errorf("got issued expiry %v, want %v", issued.ExpiresAt, wantExpiry)
			}
			id, secret, _ := strings.Cut(issued.Token, ".")
			want := session.Session{Digest: token.Digest(secret), CustomerID: cust1,
				RememberMe: tt.rememberMe, CreatedAt: start, ExpiresAt: wantExpiry}
			if s != want {
				t.Errorf("got session %+v, want %+v", s, want)
			}
			if id != cust1 || !token.WellFormed(secret) {
				t.Errorf("got token %q, want <customer id>.<well-formed secret>", issued.Token)
			}
			if ref, ok := session.Parse(issued.Token); !ok || ref != s.Ref() {
				t.Errorf("Parse(token) = %+v, %v; want the session's ref", ref, ok)
			}
			if f.store.calls != 0 {
				t.Errorf("got %d store calls, want New to store nothing", f.store.calls)
			}
		})
	}

	t.Run("the expiry is truncated to whole seconds", func(t *testing.T) {
		f := newFixture(t)
		f.clock.t = start.Add(700 * time.Millisecond)
		issued, _, err := f.mgr.New(cust1, false, session.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(lifetimes.Default); !issued.ExpiresAt.Equal(want) {
			t.Errorf("got %v, want %v", issued.ExpiresAt, want)
		}
	})

	t.Run("two sessions get different tokens", func(t *testing.T) {
		f := newFixture(t)
		a, _, _ := f.mgr.New(cust1, false, session.Client{})
		b, _, _ := f.mgr.New(cust1, false, session.Client{})
		if a.Token == b.Token {
			t.Errorf("got the same token twice: %q", a.Token)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()

	t.Run("a stored session authenticates, and only its digest is stored", func(t *testing.T) {
		f := newFixture(t)
		issued := f.start(t, cust1)
		for ref := range f.store.sessions {
			if strings.Contains(issued.Token, ref.Digest) {
				t.Error("got the plain token as a store key, want only its digest stored")
			}
		}
		got, c, err := f.mgr.Authenticate(ctx, issued.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.CustomerID != cust1 || c.ID != cust1 {
			t.Errorf("got %+v and customer %q, want the session of %s", got, c.ID, cust1)
		}
		if f.store.calls != 1 {
			t.Errorf("got %d store calls, want one read for the session and its customer", f.store.calls)
		}
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
		{"a token without its customer id is refused without a store read",
			func(s string) string { _, secret, _ := strings.Cut(s, "."); return secret }, 0, 0},
		{"a token with a forged customer id is refused without a store read",
			func(s string) string { _, secret, _ := strings.Cut(s, "."); return "cust-1." + secret }, 0, 0},
		{"an unknown well-formed token is refused",
			func(string) string { return cust1 + "." + strings.Repeat("A", 43) }, 0, 1},
		{"another customer's id with a real secret is refused",
			func(s string) string { _, secret, _ := strings.Cut(s, "."); return cust2 + "." + secret }, 0, 1},
		{"a session is refused at exactly its expiry",
			func(s string) string { return s }, lifetimes.Default, 1},
		{"a session is refused after its expiry",
			func(s string) string { return s }, lifetimes.Default + time.Hour, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			issued := f.start(t, cust1)
			f.clock.Advance(tt.advance)
			f.store.calls = 0
			_, _, err := f.mgr.Authenticate(ctx, tt.token(issued.Token))
			wantCode(t, err, apperr.Unauthenticated)
			if f.store.calls != tt.wantCalls {
				t.Errorf("got %d store calls, want %d", f.store.calls, tt.wantCalls)
			}
		})
	}

	t.Run("a session is accepted one second before its expiry", func(t *testing.T) {
		f := newFixture(t)
		issued := f.start(t, cust1)
		f.clock.Advance(lifetimes.Default - time.Second)
		if _, _, err := f.mgr.Authenticate(ctx, issued.Token); err != nil {
			t.Errorf("got %v, want the session accepted", err)
		}
	})

	t.Run("a store failure while authenticating is not reported as unauthenticated", func(t *testing.T) {
		f := newFixture(t)
		issued := f.start(t, cust1)
		f.store.err = apperr.New(apperr.Unavailable, "down")
		_, _, err := f.mgr.Authenticate(ctx, issued.Token)
		wantCode(t, err, apperr.Unavailable)
	})
}

func TestEnd(t *testing.T) {
	ctx := context.Background()
	signedOut := customer.Activity{Type: customer.ActivitySignedOut, At: start}

	t.Run("an ended session no longer authenticates, and its activity names its customer", func(t *testing.T) {
		f := newFixture(t)
		issued := f.start(t, cust1)
		other := f.start(t, cust2)
		if err := f.mgr.End(ctx, issued.Token, signedOut); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.mgr.Authenticate(ctx, issued.Token)
		wantCode(t, err, apperr.Unauthenticated)
		if _, _, err := f.mgr.Authenticate(ctx, other.Token); err != nil {
			t.Errorf("got %v for another customer's session, want it untouched", err)
		}
		if len(f.store.ended) != 1 || f.store.ended[0].CustomerID != cust1 || f.store.ended[0].Type != customer.ActivitySignedOut {
			t.Errorf("activity = %+v, want one signed-out entry for %s", f.store.ended, cust1)
		}
	})

	tests := []struct {
		name      string
		token     string
		wantCalls int
	}{
		{"ending a malformed token succeeds without a store call", "garbage", 0},
		{"ending an empty token succeeds without a store call", "", 0},
		{"ending an unknown token succeeds in one call", cust1 + "." + strings.Repeat("B", 43), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.mgr.End(ctx, tt.token, signedOut); err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if f.store.calls != tt.wantCalls {
				t.Errorf("got %d store calls, want %d", f.store.calls, tt.wantCalls)
			}
			if len(f.store.ended) != 0 {
				t.Errorf("activity = %+v, want none for a session that did not exist", f.store.ended)
			}
		})
	}

	t.Run("a store failure while ending is returned", func(t *testing.T) {
		f := newFixture(t)
		issued := f.start(t, cust1)
		f.store.err = apperr.New(apperr.Unavailable, "down")
		wantCode(t, f.mgr.End(ctx, issued.Token, signedOut), apperr.Unavailable)
	})
}

// FuzzParse: a session token that parses names a customer id of the right
// shape and the digest of exactly its secret; anything else parses to
// nothing, without a lookup.
func FuzzParse(f *testing.F) {
	f.Add(cust1 + "." + strings.Repeat("A", 43))
	f.Add("cust-1." + strings.Repeat("A", 43))
	f.Add(".")
	f.Fuzz(func(t *testing.T, plain string) {
		ref, ok := session.Parse(plain)
		if !ok {
			if !ref.IsZero() {
				t.Errorf("Parse(%q) refused but returned %+v", plain, ref)
			}
			return
		}
		id, secret, _ := strings.Cut(plain, ".")
		if ref.CustomerID != id || ref.Digest != token.Digest(secret) || !token.WellFormed(secret) {
			t.Errorf("Parse(%q) = %+v", plain, ref)
		}
	})
}

func TestLastUse(t *testing.T) {
	f := newFixture(t)
	issued, s, err := f.mgr.New(cust1, true, session.ClientOf("Firefox", "203.0.113.7"))
	if err != nil {
		t.Fatal(err)
	}
	f.store.put(s)
	steps := []struct {
		name      string
		advance   time.Duration
		wantCalls int // store calls of the Authenticate
		wantLast  time.Time
	}{
		{"a session used at once is not written", time.Minute, 1, start},
		{"nor within the hour of its start", 58 * time.Minute, 1, start},
		{"an hour after, its last use is written", time.Minute, 2, start.Add(time.Hour)},
		{"and then not again within the hour", 30 * time.Minute, 1, start.Add(time.Hour)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clock.Advance(st.advance)
			before := f.store.calls
			got, _, err := f.mgr.Authenticate(context.Background(), issued.Token)
			if err != nil {
				t.Fatal(err)
			}
			if calls := f.store.calls - before; calls != st.wantCalls || !got.LastUsed().Equal(st.wantLast) {
				t.Errorf("%d store calls, last used %v; want %d, %v", calls, got.LastUsed(), st.wantCalls, st.wantLast)
			}
		})
	}
	t.Run("the session keeps the device it began on", func(t *testing.T) {
		got, _, err := f.mgr.Authenticate(context.Background(), issued.Token)
		if err != nil || got.Client != (session.Client{UserAgent: "Firefox", Address: "203.0.113.7"}) {
			t.Errorf("client %+v, %v", got.Client, err)
		}
	})
}

func TestClientOf(t *testing.T) {
	tests := []struct {
		name, ua, want string
	}{
		{"a user agent is kept as sent", "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"},
		{"control characters are dropped", "Evil\r\nSet-Cookie: x\x00", "EvilSet-Cookie: x"},
		{"a long user agent is cut at a character boundary", strings.Repeat("ä", 200), strings.Repeat("ä", 128)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := session.ClientOf(tt.ua, "198.51.100.1"); got.UserAgent != tt.want || got.Address != "198.51.100.1" {
				t.Errorf("ClientOf(%q) = %+v, want user agent %q", tt.ua, got, tt.want)
			}
		})
	}
}

func TestPublicID(t *testing.T) {
	f := newFixture(t)
	_, a, _ := f.mgr.New(cust1, false, session.Client{})
	_, b, _ := f.mgr.New(cust1, false, session.Client{})
	if a.ID() == b.ID() || a.ID() != session.IDOf(a.Digest) || strings.Contains(a.Digest, a.ID()) || len(a.ID()) != 22 {
		t.Errorf("ids %q and %q of digests %q and %q: want distinct, stable, 22 characters, not part of the digest", a.ID(), b.ID(), a.Digest, b.Digest)
	}
}

func TestAmong(t *testing.T) {
	f := newFixture(t)
	issued, s, _ := f.mgr.New(cust1, false, session.Client{})
	other, o, _ := f.mgr.New(cust1, false, session.Client{})
	c := customer.Customer{ID: cust1, Status: customer.Active}
	tests := []struct {
		name  string
		token string
		all   []session.Session
		ok    bool
	}{
		{"the token's session is found among the customer's", issued.Token, []session.Session{o, s}, true},
		{"a token whose session is not among them is refused", other.Token, []session.Session{s}, false},
		{"a malformed token is refused", "nope", []session.Session{s}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.mgr.Among(tt.token, c, tt.all)
			if tt.ok != (err == nil) || (tt.ok && got.Digest != s.Digest) {
				t.Errorf("Among = %+v, %v; want found %v", got, err, tt.ok)
			}
		})
	}
	t.Run("an expired session is not found", func(t *testing.T) {
		f.clock.Advance(25 * time.Hour)
		if _, err := f.mgr.Among(issued.Token, c, []session.Session{s}); err == nil {
			t.Error("found an expired session")
		}
	})
}
