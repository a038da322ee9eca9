// Package signin signs customers in and out and answers "who am I". It is
// built so that an attacker learns nothing about which logins exist: an
// unknown login and a wrong password take the same path, the same time and
// the same lockout.
package signin

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/token"
)

// ErrNotFound is returned by a Store for an unknown login or customer.
var ErrNotFound = customer.ErrNotFound

// Failures is the failed-attempt state of one login.
type Failures struct {
	Count       int
	WindowStart time.Time
	LockedUntil time.Time
}

// Store is what sign-in reads and writes.
type Store interface {
	// CustomerIDByLogin returns the id owning a normalised email
	// (kind "email") or username (kind "username"), or ErrNotFound.
	CustomerIDByLogin(ctx context.Context, kind, key string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// CountAttempt counts a sign-in attempt on a login key before its
	// password is checked, atomically, so concurrent guesses cannot all
	// slip past one check. Attempts count in a window that starts with the
	// first one (a new window starts once the old one is over); the attempt
	// that brings the count to max stores a lock until lockUntil. counted is
	// false when an existing lock refused the attempt; st.LockedUntil says
	// until when.
	CountAttempt(ctx context.Context, loginKey string, now time.Time, window time.Duration, max int, lockUntil time.Time) (st Failures, counted bool, err error)
	// ClearFailures forgets a login's attempts (a right password).
	ClearFailures(ctx context.Context, loginKey string) error
	// UpdatePasswordHash replaces the stored hash if it is still old.
	UpdatePasswordHash(ctx context.Context, customerID, old, new string) error
	AddActivity(ctx context.Context, a customer.Activity) error
}

// Sessions is the part of the session manager sign-in uses.
type Sessions interface {
	Start(ctx context.Context, customerID string, rememberMe bool) (session.Issued, error)
	Authenticate(ctx context.Context, plain string) (session.Session, error)
	Revoke(ctx context.Context, plain string) error
}

// Service signs customers in.
type Service struct {
	settings settings.Settings
	store    Store
	sessions Sessions
	hasher   *password.Hasher
	now      func() time.Time
	log      *slog.Logger
}

// New returns a Service.
func New(s settings.Settings, store Store, sessions Sessions, hasher *password.Hasher, now func() time.Time, log *slog.Logger) *Service {
	return &Service{settings: s, store: store, sessions: sessions, hasher: hasher, now: now, log: log}
}

// Request is a sign-in attempt.
type Request struct {
	Login      string
	Password   string
	RememberMe bool
	ReturnURL  string
	SourceIP   string
}

// Result of a successful sign-in.
type Result struct {
	CustomerID string
	Redirect   string
	Session    session.Issued
}

// maxInput bounds what is hashed: a megabyte "password" must not buy an
// attacker a megabyte of argon2 work.
const maxInput = 1024

// SignIn checks the credentials and starts a session.
func (s *Service) SignIn(ctx context.Context, req Request) (Result, error) {
	var f apperr.Fields
	login := strings.TrimSpace(req.Login)
	if login == "" {
		f.Add("login", "required", "Login is required.")
	} else if len(login) > maxInput || customer.HasControl(login) {
		f.Add("login", "invalid_login", "Login is not valid.")
	}
	if req.Password == "" {
		f.Add("password", "required", "Password is required.")
	} else if len(req.Password) > maxInput {
		f.Add("password", "too_long", "Password is too long.")
	}
	if err := f.Err(); err != nil {
		return Result{}, err
	}

	key := customer.NormalizeLogin(login)
	throttleKey := token.Digest("login:" + key)
	now := s.now()
	// The attempt is counted before anything is looked up, per login
	// whether or not an account exists (so the lockout reveals no accounts
	// either), and before the password is checked (so a burst of parallel
	// guesses gets no more checks than the limit).
	attempt, err := s.countAttempt(ctx, throttleKey, now)
	if err != nil {
		return Result{}, err
	}

	kind := "email"
	if s.settings.UsernamesEnabled && !strings.Contains(key, "@") {
		kind = "username"
	}
	cust, err := s.find(ctx, kind, key)
	if errors.Is(err, ErrNotFound) {
		// A known login costs two reads (login key, customer); read a
		// customer that cannot exist so an unknown one costs the same round
		// trips, then the same argon2 work.
		_, _ = s.store.Customer(ctx, "absent:"+throttleKey)
		s.hasher.VerifyDummy(req.Password)
		return Result{}, attempt.failed()
	}
	if err != nil {
		return Result{}, err
	}
	ok, rehash, err := s.hasher.Verify(req.Password, cust.PasswordHash)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
	}
	if !ok {
		return Result{}, attempt.failed()
	}
	// The password was right: the attempt was no failure, whatever the
	// account's state. (A deactivated account keeps its count so that it
	// answers exactly like a wrong password.)
	if cust.Status != customer.Deactivated {
		if err := s.store.ClearFailures(ctx, throttleKey); err != nil {
			return Result{}, err
		}
	}
	// Only someone who knows the password learns the account's state.
	switch cust.Status {
	case customer.Active:
	case customer.Unverified:
		return Result{}, apperr.New(apperr.EmailNotVerified, "Confirm your email address first; we sent you a link.")
	case customer.PendingApproval:
		return Result{}, apperr.New(apperr.PendingApproval, "Your account is waiting for approval.")
	default:
		return Result{}, attempt.failed()
	}
	if rehash {
		s.upgradeHash(ctx, cust, req.Password)
	}
	issued, err := s.sessions.Start(ctx, cust.ID, req.RememberMe)
	if err != nil {
		return Result{}, err
	}
	s.activity(ctx, customer.Activity{CustomerID: cust.ID, Type: customer.ActivitySignedIn, At: now.UTC(),
		Detail: map[string]string{"sourceIp": req.SourceIP}})
	return Result{CustomerID: cust.ID, Redirect: redirect.Local(req.ReturnURL), Session: issued}, nil
}

func (s *Service) find(ctx context.Context, kind, key string) (customer.Customer, error) {
	id, err := s.store.CustomerIDByLogin(ctx, kind, key)
	if err != nil {
		return customer.Customer{}, err
	}
	return s.store.Customer(ctx, id)
}

// attempt is a counted sign-in attempt.
type attempt struct {
	lockedOut bool          // the count reached the limit with this attempt
	lockFor   time.Duration // how long the lock lasts
}

// failed is the answer to a failed attempt: invalid_credentials, or
// locked_out for the attempt that reached the limit.
func (a attempt) failed() error {
	if a.lockedOut {
		return lockedOut(a.lockFor)
	}
	return invalidCredentials()
}

// countAttempt counts an attempt and refuses it outright when the login is
// locked or over its limit.
func (s *Service) countAttempt(ctx context.Context, key string, now time.Time) (attempt, error) {
	lock := s.settings.Lockout
	if lock.MaxFailedAttempts == 0 {
		return attempt{}, nil
	}
	lockFor := time.Duration(lock.Duration)
	st, counted, err := s.store.CountAttempt(ctx, key, now, time.Duration(lock.Window), lock.MaxFailedAttempts, now.Add(lockFor))
	if err != nil {
		return attempt{}, err
	}
	if !counted {
		return attempt{}, lockedOut(st.LockedUntil.Sub(now))
	}
	if st.Count > lock.MaxFailedAttempts {
		// Over the limit while the attempt that reached it is still being
		// checked: refuse without checking.
		return attempt{}, lockedOut(lockFor)
	}
	return attempt{lockedOut: st.Count == lock.MaxFailedAttempts, lockFor: lockFor}, nil
}

// upgradeHash replaces a hash made with older parameters. It is best effort:
// the sign-in already succeeded, and the next one tries again.
func (s *Service) upgradeHash(ctx context.Context, c customer.Customer, pw string) {
	fresh, err := s.hasher.Hash(pw)
	if err == nil {
		err = s.store.UpdatePasswordHash(ctx, c.ID, c.PasswordHash, fresh)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", "customerId", c.ID, "error", err)
		return
	}
	s.activity(ctx, customer.Activity{CustomerID: c.ID, Type: customer.ActivityPasswordRehash, At: s.now().UTC()})
}

// activity writes an audit entry; a failure is logged, not returned, because
// the customer's action already happened.
func (s *Service) activity(ctx context.Context, a customer.Activity) {
	if err := s.store.AddActivity(ctx, a); err != nil {
		s.log.WarnContext(ctx, "activity log write failed", "customerId", a.CustomerID, "type", a.Type, "error", err)
	}
}

func invalidCredentials() error {
	return apperr.New(apperr.InvalidCredentials, "The login or password is not correct.")
}

func lockedOut(retry time.Duration) error {
	if retry < time.Second {
		retry = time.Second
	}
	return &apperr.Error{Code: apperr.LockedOut, Message: "Too many failed sign-ins; try again later.", RetryAfter: retry}
}

func unauthenticated() error {
	return apperr.New(apperr.Unauthenticated, "Sign in first.")
}
