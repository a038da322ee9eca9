// Package session issues, checks and ends sign-in sessions. A session token is
// "<customer id>.<secret>": the id places the session beside its customer in
// the table, so one read brings both and one write ends it; the 256-bit
// secret proves the session, and the store keeps only its digest, so reading
// the table never yields a usable session.
package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openreg/registration/internal/event"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/token"
)

// Session is a stored session.
type Session struct {
	Digest     string
	CustomerID string
	RememberMe bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// ImpersonatedBy is the administrator acting as the customer in this
	// session ("" for the customer's own): every activity entry it causes
	// names them, and it cannot change the password or the address or
	// delete the account.
	ImpersonatedBy string
	// Client is the device that signed in, as its request showed it.
	Client Client
	// LastUsedAt is when the session was last seen, to within
	// TouchInterval (the zero time: not since it began).
	LastUsedAt time.Time
}

// Client is what a customer's list of sessions shows of the device a
// session belongs to: its user agent (cut to MaxUserAgent bytes, control
// characters dropped) and its address (the shopper's, for a server
// storefront).
type Client struct {
	UserAgent string
	Address   string
}

// MaxUserAgent bounds the user agent a session keeps.
const MaxUserAgent = 256

// ClientOf is the Client of a request's user agent and address.
func ClientOf(userAgent, address string) Client {
	ua := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return -1
		}
		return r
	}, userAgent)
	for len(ua) > MaxUserAgent {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return Client{UserAgent: ua, Address: address}
}

// TouchInterval is how often a session's LastUsedAt is written: at most
// once an hour, so "who am I" stays one read on most requests.
const TouchInterval = time.Hour

// ID is the session's public id, the one a customer's list of sessions
// shows and a sign-out of one session names: derived from the digest, so
// nothing more is stored, and no use to anyone without the token.
func (s Session) ID() string { return IDOf(s.Digest) }

// IDOf is the public id of the session whose secret has digest.
func IDOf(digest string) string {
	sum := sha256.Sum256([]byte("session-id\x00" + digest))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// LastUsed is when the session was last seen (its start, until touched).
func (s Session) LastUsed() time.Time {
	if s.LastUsedAt.IsZero() {
		return s.CreatedAt
	}
	return s.LastUsedAt
}

// Revoked reports whether c ended s without deleting it: a revocation
// ("sign out everywhere", a password change or reset) ends every session
// started at or before its time, except the one it kept.
func (s Session) Revoked(c customer.Customer) bool {
	return !c.SessionsValidFrom.IsZero() && !s.CreatedAt.After(c.SessionsValidFrom) && s.Digest != c.KeptSession
}

// Ref names a stored session: whose it is and its secret's digest.
func (s Session) Ref() Ref { return Ref{CustomerID: s.CustomerID, Digest: s.Digest} }

// Ref names a stored session. The zero Ref names none.
type Ref struct {
	CustomerID string
	Digest     string
}

// IsZero reports whether r names no session.
func (r Ref) IsZero() bool { return r == Ref{} }

// Parse reads a session token; ok is false for anything this package did
// not make, without a lookup.
func Parse(plain string) (Ref, bool) {
	id, secret, found := strings.Cut(plain, ".")
	if !found || !customer.ValidID(id) || !token.WellFormed(secret) {
		return Ref{}, false
	}
	return Ref{CustomerID: id, Digest: token.Digest(secret)}, true
}

// Issued is what the client receives: the token itself and its expiry.
type Issued struct {
	Token     string
	ExpiresAt time.Time
}

// ErrNotFound is returned by a Store for an unknown session or customer.
var ErrNotFound = errors.New("session: not found")

// Store reads and ends sessions. Sessions start inside the writes of the use
// cases that start them (sign-in, confirmation, Standard registration).
type Store interface {
	// SessionOf returns the session r names and its customer, in one read;
	// ErrNotFound when either is missing.
	SessionOf(ctx context.Context, r Ref) (Session, customer.Customer, error)
	// EndSession deletes the session r names and, if there was one, stores
	// the activity entry, in one write; the entry of an impersonation's end
	// names its administrator (Detail "impersonatedBy"). Ending a session
	// that does not exist stores nothing and succeeds.
	EndSession(ctx context.Context, r Ref, a customer.Activity, events []event.Event) error
	// TouchSession sets the LastUsedAt of the session r names to at, if it
	// still exists; a missing session is no error.
	TouchSession(ctx context.Context, r Ref, at time.Time) error
}

// Lifetimes are how long sessions last.
type Lifetimes struct {
	Default    time.Duration
	RememberMe time.Duration
}

// Manager is the session use case.
type Manager struct {
	store     Store
	tokens    *token.Generator
	lifetimes Lifetimes
	now       func() time.Time
}

// NewManager wires a Manager.
func NewManager(store Store, tokens *token.Generator, lifetimes Lifetimes, now func() time.Time) *Manager {
	return &Manager{store: store, tokens: tokens, lifetimes: lifetimes, now: now}
}

// New makes a session for customerID, on the device client, without
// storing it: the caller stores it inside its own write.
func (m *Manager) New(customerID string, rememberMe bool, client Client) (Issued, Session, error) {
	secret, digest, err := m.tokens.New()
	if err != nil {
		return Issued{}, Session{}, apperr.Wrap(apperr.Internal, "Could not create a session.", err)
	}
	now := m.now().UTC()
	life := m.lifetimes.Default
	if rememberMe {
		life = m.lifetimes.RememberMe
	}
	s := Session{Digest: digest, CustomerID: customerID, RememberMe: rememberMe, CreatedAt: now,
		ExpiresAt: now.Add(life).Truncate(time.Second), Client: client}
	return Issued{Token: customerID + "." + secret, ExpiresAt: s.ExpiresAt}, s, nil
}

// Unauthenticated is the answer to a request that needs a live session and
// has none, or whose customer may no longer act: 401 "Sign in first."
func Unauthenticated() error { return apperr.New(apperr.Unauthenticated, "Sign in first.") }

// Authenticate returns the live session a token names and its customer.
// Malformed, unknown, expired and revoked tokens are all the same
// Unauthenticated error. (Whether the customer may still act is the
// caller's question: Customer.CanSignIn.)
func (m *Manager) Authenticate(ctx context.Context, plain string) (Session, customer.Customer, error) {
	ref, ok := Parse(plain)
	if !ok {
		return Session{}, customer.Customer{}, Unauthenticated()
	}
	s, c, err := m.store.SessionOf(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return Session{}, customer.Customer{}, Unauthenticated()
	}
	if err != nil {
		return Session{}, customer.Customer{}, err
	}
	// DynamoDB's TTL deletes expired items lazily (up to days later), so the
	// expiry is enforced here, not left to the table.
	now := m.now()
	if !now.Before(s.ExpiresAt) || s.Revoked(c) {
		return Session{}, customer.Customer{}, Unauthenticated()
	}
	if now.Sub(s.LastUsed()) >= TouchInterval {
		// Best effort: a session whose last use is an hour off is no
		// reason to refuse a request.
		if err := m.store.TouchSession(ctx, ref, now.UTC()); err == nil {
			s.LastUsedAt = now.UTC()
		}
	}
	return s, c, nil
}

// Among returns the live session plain names among c's sessions (read
// together with c, in one query: a customer's list of sessions), or the
// same Unauthenticated error Authenticate gives.
func (m *Manager) Among(plain string, c customer.Customer, all []Session) (Session, error) {
	ref, ok := Parse(plain)
	if !ok || ref.CustomerID != c.ID {
		return Session{}, Unauthenticated()
	}
	for _, s := range all {
		if s.Digest == ref.Digest && m.now().Before(s.ExpiresAt) && !s.Revoked(c) {
			return s, nil
		}
	}
	return Session{}, Unauthenticated()
}

// Live keeps the sessions of c that still count at now: not expired, not
// revoked.
func Live(c customer.Customer, all []Session, now time.Time) []Session {
	var out []Session
	for _, s := range all {
		if now.Before(s.ExpiresAt) && !s.Revoked(c) {
			out = append(out, s)
		}
	}
	return out
}

// End ends the session a token names and logs a (and publishes events) as
// its customer's, in one write. Ending an unknown or malformed token
// succeeds: the client's goal, no live session, holds either way.
func (m *Manager) End(ctx context.Context, plain string, a customer.Activity, events ...event.Event) error {
	ref, ok := Parse(plain)
	if !ok {
		return nil
	}
	a.CustomerID = ref.CustomerID
	for i := range events {
		events[i].CustomerID = ref.CustomerID
	}
	return m.store.EndSession(ctx, ref, a, events)
}
