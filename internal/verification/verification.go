// Package verification confirms email addresses (the second step of double
// opt-in). Looking at a link changes nothing; only Confirm does, and it uses
// a token at most once.
package verification

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/token"
)

// Token is a stored verification token.
type Token struct {
	Digest     string
	CustomerID string
	ExpiresAt  time.Time
	UsedAt     time.Time // zero while unused
}

// Confirmation is the write that uses a token: the token is marked used,
// the customer moves from Unverified to Next and the mails it causes enter
// the outbox, all or nothing.
type Confirmation struct {
	Digest     string
	CustomerID string
	Next       customer.Status
	At         time.Time
	Outbox     []mail.Message
}

// Errors a Store returns.
var (
	// ErrNotFound: no token with that digest.
	ErrNotFound = errors.New("verification: token not found")
	// ErrConflict: the token was used, or the customer left Unverified,
	// between reading and writing. The caller reads again.
	ErrConflict = errors.New("verification: token or customer changed")
)

// Store reads tokens and applies confirmations.
type Store interface {
	VerificationToken(ctx context.Context, digest string) (Token, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// Confirm applies c atomically, on the conditions that the token is
	// unused and unexpired at c.At and the customer is Unverified;
	// otherwise ErrConflict.
	Confirm(ctx context.Context, c Confirmation) error
}

// Result is the state of the account after confirming.
type Result struct {
	// Status is Active, or PendingApproval when an administrator must still
	// approve.
	Status customer.Status
	// AlreadyVerified is set when the token had been used before and the
	// account is verified: the link was clicked twice.
	AlreadyVerified bool
}

// Outbox sends mails stored with a change on their way; what it cannot send
// now, the outbox relay sends later.
type Outbox interface {
	Flush(ctx context.Context, msgs []mail.Message)
}

// Service confirms email addresses.
type Service struct {
	store  Store
	outbox Outbox
	random io.Reader
	now    func() time.Time
}

// New returns a Service. random feeds message ids.
func New(store Store, outbox Outbox, random io.Reader, now func() time.Time) *Service {
	return &Service{store: store, outbox: outbox, random: random, now: now}
}

// CheckShape reports whether a token could be genuine, without a lookup:
// the confirm page uses it to refuse garbage links at once.
func CheckShape(plain string) error {
	if !token.WellFormed(plain) {
		return invalid()
	}
	return nil
}

// Confirm uses the token and verifies the customer's address.
func (s *Service) Confirm(ctx context.Context, plain string) (Result, error) {
	if err := CheckShape(plain); err != nil {
		return Result{}, err
	}
	digest := token.Digest(plain)
	// One retry covers the race of two clicks at once: the loser reads the
	// token again and sees it used.
	for attempt := 0; attempt < 2; attempt++ {
		res, err := s.confirm(ctx, digest)
		if !errors.Is(err, ErrConflict) {
			return res, err
		}
	}
	return Result{}, apperr.New(apperr.Unavailable, "The address could not be confirmed right now; try again.")
}

func (s *Service) confirm(ctx context.Context, digest string) (Result, error) {
	tok, err := s.store.VerificationToken(ctx, digest)
	if errors.Is(err, ErrNotFound) {
		return Result{}, invalid()
	}
	if err != nil {
		return Result{}, err
	}
	cust, err := s.store.Customer(ctx, tok.CustomerID)
	if errors.Is(err, customer.ErrNotFound) {
		return Result{}, invalid()
	}
	if err != nil {
		return Result{}, err
	}
	now := s.now().UTC()
	if !tok.UsedAt.IsZero() {
		// A used token answers kindly only while its account stays verified;
		// for an account that was deactivated since, it is just invalid.
		if cust.Status == customer.Active || cust.Status == customer.PendingApproval {
			return Result{Status: cust.Status, AlreadyVerified: true}, nil
		}
		return Result{}, invalid()
	}
	if cust.Status != customer.Unverified {
		// Verified through another token (a resent mail): this one is moot,
		// expired or not, and the customer only needs to hear it is done.
		if cust.Status == customer.Active || cust.Status == customer.PendingApproval {
			return Result{Status: cust.Status, AlreadyVerified: true}, nil
		}
		return Result{}, invalid()
	}
	if !now.Before(tok.ExpiresAt) {
		return Result{}, apperr.New(apperr.TokenExpired, "This link has expired; request a new one.")
	}
	next := customer.Active
	if cust.RequiresApproval {
		next = customer.PendingApproval
	}
	c := Confirmation{Digest: digest, CustomerID: cust.ID, Next: next, At: now}
	if next == customer.Active {
		id, err := customer.NewID(s.random)
		if err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		c.Outbox = []mail.Message{{ID: id, Kind: mail.Welcome, To: cust.Email, Language: cust.Language,
			StoreID: cust.StoreID, CustomerID: cust.ID, FirstName: cust.Profile.FirstName,
			LastName: cust.Profile.LastName, CreatedAt: now}}
	}
	if err := s.store.Confirm(ctx, c); err != nil {
		return Result{}, err
	}
	s.outbox.Flush(ctx, c.Outbox)
	return Result{Status: next}, nil
}

func invalid() error {
	return apperr.New(apperr.TokenInvalid, "This link is not valid.")
}
