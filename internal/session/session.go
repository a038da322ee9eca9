// Package session issues, checks and revokes sign-in sessions. A session is an
// opaque random token handed to the client; the store keeps only its digest,
// so reading the table never yields a usable session.
package session

import (
	"context"
	"errors"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/token"
)

// Session is a stored session.
type Session struct {
	Digest     string
	CustomerID string
	RememberMe bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Issued is what the client receives: the token itself and its expiry.
type Issued struct {
	Token     string
	ExpiresAt time.Time
}

// ErrNotFound is returned by a Store for an unknown session digest.
var ErrNotFound = errors.New("session: not found")

// Store keeps sessions.
type Store interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with digest, or ErrNotFound.
	Session(ctx context.Context, digest string) (Session, error)
	DeleteSession(ctx context.Context, digest string) error
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

// New makes a session for customerID without storing it, for callers that
// store it inside a larger transaction (registration).
func (m *Manager) New(customerID string, rememberMe bool) (Issued, Session, error) {
	plain, digest, err := m.tokens.New()
	if err != nil {
		return Issued{}, Session{}, apperr.Wrap(apperr.Internal, "Could not create a session.", err)
	}
	now := m.now().UTC()
	life := m.lifetimes.Default
	if rememberMe {
		life = m.lifetimes.RememberMe
	}
	s := Session{Digest: digest, CustomerID: customerID, RememberMe: rememberMe, CreatedAt: now, ExpiresAt: now.Add(life).Truncate(time.Second)}
	return Issued{Token: plain, ExpiresAt: s.ExpiresAt}, s, nil
}

// Start makes and stores a session.
func (m *Manager) Start(ctx context.Context, customerID string, rememberMe bool) (Issued, error) {
	issued, s, err := m.New(customerID, rememberMe)
	if err != nil {
		return Issued{}, err
	}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return Issued{}, err
	}
	return issued, nil
}

// Authenticate returns the live session a token names. Malformed, unknown,
// expired and revoked tokens are all the same Unauthenticated error.
func (m *Manager) Authenticate(ctx context.Context, plain string) (Session, error) {
	unauth := apperr.New(apperr.Unauthenticated, "Sign in first.")
	if !token.WellFormed(plain) {
		return Session{}, unauth
	}
	s, err := m.store.Session(ctx, token.Digest(plain))
	if errors.Is(err, ErrNotFound) {
		return Session{}, unauth
	}
	if err != nil {
		return Session{}, err
	}
	// DynamoDB's TTL deletes expired items lazily (up to days later), so the
	// expiry is enforced here, not left to the table.
	if !m.now().Before(s.ExpiresAt) {
		return Session{}, unauth
	}
	return s, nil
}

// Revoke ends the session a token names. Revoking an unknown or malformed
// token succeeds: the client's goal, no live session, holds either way.
func (m *Manager) Revoke(ctx context.Context, plain string) error {
	if !token.WellFormed(plain) {
		return nil
	}
	return m.store.DeleteSession(ctx, token.Digest(plain))
}
