package verification

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/session"
)

// Path is the confirm page's route; httpapi serves it there.
const Path = "/v1/verify-email"

// MaxPasswordTries is how many wrong passwords one link takes; then it is
// spent and a new link must be requested.
const MaxPasswordTries = 5

// URL is the link mailed to the customer: it opens the confirm page.
func URL(publicAPI, plain string) string {
	return publicAPI + Path + "?token=" + url.QueryEscape(plain)
}

// CheckShape reports whether a token could be genuine, without a lookup:
// the confirm page uses it to refuse garbage links at once.
func CheckShape(plain string) error {
	if _, _, ok := customer.ParseLinkToken(plain); !ok {
		return invalid()
	}
	return nil
}

// Confirmation is the write that verifies an address: the link is spent, the
// customer moves from Unverified to Next and stops expiring (with its keys),
// the session starts (when Next is Active), the activity entry and the mails
// it causes are stored, all or nothing.
type Confirmation struct {
	CustomerID  string
	StoreID     string
	Digest      string
	EmailKey    string
	UsernameKey string // empty without a username
	Next        customer.Status
	At          time.Time
	// PasswordHash is set when the account had no password and the
	// customer chose one now.
	PasswordHash string
	Session      *session.Session
	Activity     customer.Activity
	Outbox       []outbox.Message
	Events       []event.Event
	HandOver     *cart.HandOver
	// Activation starts the address's newsletter subscriptions, which
	// waited for it to be verified (nil when the account chose none).
	Activation *customer.Activation
}

// ErrConflict is returned by a Store when the customer or its link changed
// between reading and writing; the caller reads again.
var ErrConflict = errors.New("verification: customer or link changed")

// Store reads customers and applies confirmations.
type Store interface {
	Customer(ctx context.Context, id string) (customer.Customer, error)
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	code.GuardStore
	// Confirm applies c atomically, on the conditions that the customer is
	// Unverified and unexpired and its live link is c.Digest, unexpired and
	// under MaxPasswordTries; otherwise ErrConflict.
	Confirm(ctx context.Context, c Confirmation) error
	// LinkFailed counts a wrong password on the customer's live link, if
	// it is still digest, and returns the count.
	LinkFailed(ctx context.Context, customerID, digest string) (int, error)
}

// Sessions makes sessions stored inside the confirmation's write.
type Sessions interface {
	New(customerID string, rememberMe bool, client session.Client) (session.Issued, session.Session, error)
}

// Request is a press of the confirm page's button.
type Request struct {
	// Token is the link's; or Email and Code, the 6-digit code mailed
	// beside it, for a customer on another device.
	Token    string
	Email    string
	Code     string
	StoreID  string
	Password string
	SourceIP string
	// UserAgent is the request's, shown in the customer's list of sessions.
	UserAgent string
	// GuestID is the guest the confirming browser carries: a confirmation
	// that signs the customer in hands its cart over.
	GuestID string
}

// HandOvers prepares the hand-over of a guest to a customer (shopping.Service).
type HandOvers interface {
	HandOver(ctx context.Context, guestID, customerID string) (*cart.HandOver, error)
}

// Result is the state of the account after confirming.
type Result struct {
	// Status is Active, or PendingApproval when an administrator must still
	// approve.
	Status     customer.Status
	CustomerID string
	// Session is the new session when the account is active now.
	Session *session.Issued
	// ReturnURL is the local path the registration asked to return to.
	ReturnURL string
	// AlreadyVerified is set when the link had been used before and the
	// account is verified: the link was clicked twice. Nobody is signed in.
	AlreadyVerified bool
	// HandedOver is set when the request's guest became the customer.
	HandedOver bool
}

// Service confirms email addresses.
type Service struct {
	store    Store
	sessions Sessions
	hasher   *password.Hasher
	policy   password.Policy
	breached *password.Range
	// handOvers is nil where no guest can come along (unit tests).
	handOvers HandOvers
	codes     *code.Hasher
	guard     *code.Guard
	random    io.Reader
	now       func() time.Time
}

// Deps are the collaborators of a Service.
type Deps struct {
	Store    Store
	Sessions Sessions
	Hasher   *password.Hasher
	// Policy applies to a password chosen on the confirm page.
	Policy password.Policy
	// Breached is the Pwned Passwords range API where the password policy
	// asks it (password.RangeFor; nil: the bundled list only).
	Breached *password.Range
	// HandOvers, when set, hands a confirming guest's cart over.
	HandOvers HandOvers
	// Codes checks the 6-digit codes mailed beside links, Guard bounds
	// their guessing (nil Codes: no code is taken).
	Codes  *code.Hasher
	Guard  *code.Guard
	Random io.Reader
	Now    func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{store: d.Store, sessions: d.Sessions, hasher: d.Hasher, policy: d.Policy, breached: d.Breached,
		handOvers: d.HandOvers, codes: d.Codes, guard: d.Guard, random: d.Random, now: d.Now}
}

// maxInput bounds what is hashed.
const maxInput = 1024

// Confirm checks the link and the password and, when both are right,
// verifies the address and signs the customer in.
func (s *Service) Confirm(ctx context.Context, req Request) (Result, error) {
	if req.Token == "" && (req.Email != "" || req.Code != "") {
		return s.confirmByCode(ctx, req)
	}
	id, digest, ok := customer.ParseLinkToken(strings.TrimSpace(req.Token))
	if !ok {
		return Result{}, invalid()
	}
	return s.confirmLink(ctx, id, digest, req)
}

// confirmByCode is Confirm with the address and the code mailed beside
// its link: the code stands for the link, and every wrong, unknown or spent
// one is the same code_invalid, counted on the address (package code).
func (s *Service) confirmByCode(ctx context.Context, req Request) (Result, error) {
	if s.codes == nil {
		return Result{}, code.Invalid()
	}
	if err := s.guard.Submitted(ctx, req.StoreID, req.SourceIP); err != nil {
		return Result{}, err
	}
	emailKey := customer.NormalizeLogin(req.Email)
	id, err := s.store.CustomerIDByEmail(ctx, emailKey)
	if errors.Is(err, customer.ErrNotFound) || len(req.Email) > maxInput {
		return Result{}, s.guard.Wrong(ctx, emailKey, "")
	}
	if err != nil {
		return Result{}, err
	}
	cust, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return Result{}, s.guard.Wrong(ctx, emailKey, "")
	}
	if err != nil {
		return Result{}, err
	}
	if cust.Verified() || cust.Link == nil {
		return Result{}, s.guard.Wrong(ctx, emailKey, cust.ID)
	}
	ok, err := s.codes.Check(ctx, code.Verify, cust.ID, cust.Link, cust.CodesVoidBefore, s.now(), req.Code)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Unavailable, "The code could not be checked right now; try again.", err)
	}
	if !ok || cust.Link.Attempts >= MaxPasswordTries {
		return Result{}, s.guard.Wrong(ctx, emailKey, cust.ID)
	}
	return s.confirmLink(ctx, cust.ID, cust.Link.Digest, req)
}

// confirmLink confirms the link digest of customer id.
func (s *Service) confirmLink(ctx context.Context, id, digest string, req Request) (Result, error) {
	if req.Password == "" {
		return Result{}, apperr.Invalid([]apperr.FieldError{{Field: "password", Code: "required", Message: "Password is required."}})
	}
	if len(req.Password) > maxInput {
		return Result{}, apperr.Invalid([]apperr.FieldError{{Field: "password", Code: "too_long", Message: "Password is too long."}})
	}
	// One retry covers two presses at once: the loser reads again and sees
	// the account verified.
	for attempt := 0; attempt < 2; attempt++ {
		res, err := s.confirm(ctx, id, digest, req)
		if !errors.Is(err, ErrConflict) && !errors.Is(err, cart.ErrHandOverConflict) {
			return res, err
		}
	}
	return Result{}, apperr.New(apperr.Unavailable, "The address could not be confirmed right now; try again.")
}

func (s *Service) confirm(ctx context.Context, id, digest string, req Request) (Result, error) {
	cust, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return Result{}, invalid()
	}
	if err != nil {
		return Result{}, err
	}
	now := s.now().UTC()
	if err := linkState(cust, digest, now); err != nil {
		return Result{}, err
	}
	if cust.Verified() {
		return Result{Status: cust.Status, AlreadyVerified: true}, nil
	}
	c := Confirmation{CustomerID: cust.ID, StoreID: cust.StoreID, Digest: digest, EmailKey: customer.NormalizeLogin(cust.Email), Next: customer.Active, At: now}
	if cust.Username != "" {
		c.UsernameKey = customer.NormalizeLogin(cust.Username)
	}
	if cust.PasswordHash == "" {
		// Created without a password: the customer chooses it here.
		var f apperr.Fields
		if s.policy.With(s.breached).Add(ctx, &f, "password", req.Password); f.Err() != nil {
			return Result{}, f.Err()
		}
		if c.PasswordHash, err = s.hasher.Hash(req.Password); err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Could not confirm.", err)
		}
	} else {
		ok, _, err := s.hasher.Check(req.Password, cust.PasswordHash)
		if err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Could not confirm.", err)
		}
		if !ok {
			return Result{}, s.mismatch(ctx, cust.ID, digest)
		}
	}
	if cust.RequiresApproval {
		c.Next = customer.PendingApproval
	}
	c.Activity = customer.Activity{CustomerID: cust.ID, Type: customer.ActivityEmailVerified, At: now,
		Detail: map[string]string{"sourceIp": req.SourceIP}}
	res := Result{Status: c.Next, CustomerID: cust.ID, ReturnURL: cust.ReturnURL}
	if c.Next == customer.Active {
		issued, sess, err := s.sessions.New(cust.ID, false, session.ClientOf(req.UserAgent, req.SourceIP))
		if err != nil {
			return Result{}, err
		}
		c.Session, res.Session = &sess, &issued
		msgID, err := customer.NewID(s.random)
		if err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		c.Outbox = []outbox.Message{outbox.New(msgID, now, outbox.To(cust), mail.WelcomeMail{})}
	}
	specs := []event.Spec{{Type: event.Verified, Changes: map[string]any{"status": string(c.Next), "email": cust.Email}}}
	if c.Next == customer.Active {
		if req.GuestID != "" && s.handOvers != nil {
			if c.HandOver, err = s.handOvers.HandOver(ctx, req.GuestID, cust.ID); err != nil {
				return Result{}, err
			}
			res.HandedOver = c.HandOver != nil
		}
		signedIn := c.HandOver.Changes()
		signedIn["rememberMe"] = false
		specs = append(specs, event.Spec{Type: event.Activated, Changes: map[string]any{"status": string(c.Next)}},
			event.Spec{Type: event.SignedIn, Changes: signedIn})
	}
	if c.Events, err = event.Of(s.random, cust.ID, cust.StoreID, now, specs...); err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	if len(cust.Newsletters) > 0 {
		// In the confirmation's own write, without reading them first.
		id, err := customer.NewID(s.random)
		if err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		c.Activation = &customer.Activation{StoreID: cust.StoreID, Email: cust.Email, Language: cust.Language,
			Types: cust.Newsletters, At: now, NewID: id}
	}
	if err := s.store.Confirm(ctx, c); err != nil {
		return Result{}, err
	}
	return res, nil
}

// linkState says what a link is worth for an account at now, before any
// password is checked: nil for the live link of an unverified account (or
// any of its links once it is verified: a second click only needs to hear
// it is done), else the error to answer.
func linkState(c customer.Customer, digest string, now time.Time) error {
	switch {
	case c.Verified():
		if c.Status == customer.Deactivated || (c.VerifiedLink != digest && !c.Replaced(digest)) {
			return invalid()
		}
		return nil
	case c.Expired(now):
		return invalid()
	case c.Link == nil || c.Link.Digest != digest:
		if c.Replaced(digest) {
			return apperr.New(apperr.TokenReplaced, "This link was replaced by a newer one; use the link in the most recent mail.")
		}
		return invalid()
	case c.Link.Expired(now):
		return apperr.New(apperr.TokenExpired, "This link has expired; request a new one.")
	case c.Link.Attempts >= MaxPasswordTries:
		return spent()
	}
	return nil
}

// mismatch counts a wrong password on the link and answers it.
func (s *Service) mismatch(ctx context.Context, customerID, digest string) error {
	n, err := s.store.LinkFailed(ctx, customerID, digest)
	if errors.Is(err, ErrConflict) {
		return invalid() // the link was replaced or used meanwhile
	}
	if err != nil {
		return err
	}
	if n >= MaxPasswordTries {
		return spent()
	}
	return &apperr.Error{Code: apperr.PasswordMismatch, Message: "The password does not match the one chosen at registration.",
		Fields: []apperr.FieldError{{Field: "password", Code: string(apperr.PasswordMismatch), Message: "This is not the password chosen at registration."}}}
}

func invalid() error {
	return apperr.New(apperr.TokenInvalid, "This link is not valid.")
}

func spent() error {
	return apperr.New(apperr.TokenInvalid, "Too many wrong passwords for this link; request a new one.")
}
