// Package registration is the register use case: it checks a request against
// the store's settings, creates the account with everything that belongs to
// it in one atomic write, and decides what the customer does next.
package registration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/verification"
)

// Account is everything a registration writes. The store writes it in one
// transaction, so either all of it exists or none of it does; uniqueness of
// the email address and username is part of that write, never a read first.
type Account struct {
	Customer     customer.Customer
	EmailKey     string
	UsernameKey  string // empty when usernames are off
	Verification *Verification
	Session      *session.Session
	Consents     []customer.ConsentRecord
	// Outbox holds the mails to send; they are stored with the account so
	// that no committed registration can lose its mail.
	Outbox []mail.Message
	// RevokeSession is the digest of the session the request carried, if
	// any: registering signs that customer out in the same write.
	RevokeSession string
	// ResendInterval is how long the mailed link holds off a resend.
	ResendInterval time.Duration
}

// Verification is a stored email verification token (its digest only).
type Verification struct {
	Digest     string
	CustomerID string
	ExpiresAt  time.Time
	CreatedAt  time.Time
}

// Errors a Store returns from CreateAccount. When both keys are taken the
// store reports the username: a username clash must not depend on whether
// the email address is registered, or it would reveal the address.
var (
	ErrEmailTaken    = errors.New("registration: email already registered")
	ErrUsernameTaken = errors.New("registration: username already taken")
)

// Store persists accounts.
type Store interface {
	// CreateAccount writes acc atomically; ErrEmailTaken or
	// ErrUsernameTaken when a key is in use.
	CreateAccount(ctx context.Context, acc Account) error
	// RecordAttempt stores, in one write, the outbox job that will tell
	// the owner of a taken address, and ends the request's session
	// (revokeSession is its digest, or empty).
	RecordAttempt(ctx context.Context, job mail.Message, revokeSession string) error
	// AddActivity appends to a customer's activity log.
	AddActivity(ctx context.Context, a customer.Activity) error
}

// Outbox sends mails recorded in the store on their way now. A failure is not
// the caller's failure: the mail is stored and the outbox relay sends it.
type Outbox interface {
	Flush(ctx context.Context, msgs []mail.Message)
}

// Sessions is the part of the session manager registration uses.
type Sessions interface {
	New(customerID string, rememberMe bool) (session.Issued, session.Session, error)
}

// Request is a registration as the storefront sent it.
type Request struct {
	Email               string
	Username            string
	Password            string
	Profile             customer.Profile
	Attributes          map[string]string
	Consents            map[string]bool
	AcceptPrivacyPolicy *bool
	Newsletters         []string
	ReturnURL           string
	// Language is the customer's language, from Accept-Language.
	Language []string
	// StoreID is the store the request is for (X-Store-Id), or "".
	StoreID string
	// SessionToken is the session the request carried, if any; registering
	// signs that customer out first.
	SessionToken string
	SourceIP     string
}

// Outcome is what the storefront should do next.
type Outcome string

// Outcomes, as the contract names them.
const (
	PendingVerification Outcome = "pending_verification"
	PendingApproval     Outcome = "pending_approval"
	SignedIn            Outcome = "signed_in"
)

// Result of a registration.
type Result struct {
	Outcome    Outcome
	CustomerID string // only for SignedIn: the 202 answers reveal nothing
	Redirect   string
	Session    *session.Issued
	// SignedOut is set when the request's session was revoked.
	SignedOut bool
}

// Service registers customers.
type Service struct {
	settings settings.Settings
	store    Store
	outbox   Outbox
	sessions Sessions
	hasher   *password.Hasher
	tokens   *token.Generator
	random   io.Reader
	now      func() time.Time
	log      *slog.Logger
}

// Deps are the collaborators of a Service.
type Deps struct {
	Settings settings.Settings
	Store    Store
	Outbox   Outbox
	Sessions Sessions
	Hasher   *password.Hasher
	Tokens   *token.Generator
	Random   io.Reader
	Now      func() time.Time
	Log      *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{
		settings: d.Settings, store: d.Store, outbox: d.Outbox, sessions: d.Sessions,
		hasher: d.Hasher, tokens: d.Tokens, random: d.Random, now: d.Now, log: d.Log,
	}
}

type consentAnswer struct {
	consent settings.Consent
	agreed  bool
}

// clean is a request after validation.
type clean struct {
	email, username string
	profile         customer.Profile
	attributes      map[string]string
	consents        []consentAnswer
	privacyAccepted bool
	newsletters     []string
}

// Register runs a registration.
func (s *Service) Register(ctx context.Context, req Request) (Result, error) {
	if s.settings.RegistrationType == settings.Disabled {
		return Result{}, apperr.New(apperr.RegistrationDisabled, "Registration is disabled in this store.")
	}
	c, err := s.validate(req)
	if err != nil {
		return Result{}, err
	}

	res := Result{Redirect: redirect.Local(req.ReturnURL), SignedOut: req.SessionToken != ""}

	// Hash before knowing whether the address is taken, so both answers of
	// the double opt-in path cost the same.
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	acc, issued, err := s.account(c, req, hash)
	if err != nil {
		return Result{}, err
	}
	// The request's session ends in the same write that creates the account,
	// so a failed registration leaves the customer signed in and a
	// successful one never leaves the old session alive.
	if token.WellFormed(req.SessionToken) {
		acc.RevokeSession = token.Digest(req.SessionToken)
	}

	err = s.store.CreateAccount(ctx, acc)
	switch {
	case errors.Is(err, ErrUsernameTaken):
		return Result{}, &apperr.Error{Code: apperr.UsernameTaken, Message: "This username is taken.",
			Fields: []apperr.FieldError{{Field: "username", Code: string(apperr.UsernameTaken), Message: "This username is taken."}}}
	case errors.Is(err, ErrEmailTaken):
		if s.settings.RegistrationType == settings.Standard {
			return Result{}, apperr.New(apperr.EmailTaken, "An account with this email address exists.")
		}
		// Answer exactly as for a new address, with the same number of
		// writes and no lookup: one write stores a job (and ends the
		// session), and the mailer finds and tells the owner later.
		job, err := s.message(mail.RegistrationAttempt, acc.Customer, s.now().UTC())
		if err != nil {
			return Result{}, err
		}
		job.CustomerID, job.FirstName, job.LastName, job.SourceIP = "", "", "", req.SourceIP
		if err := s.store.RecordAttempt(ctx, job, acc.RevokeSession); err != nil {
			return Result{}, err
		}
		s.outbox.Flush(ctx, []mail.Message{job})
		return s.pending(res), nil
	case err != nil:
		return Result{}, err
	}
	s.activity(ctx, customer.Activity{CustomerID: acc.Customer.ID, Type: customer.ActivityRegistered, At: acc.Customer.CreatedAt,
		Detail: map[string]string{"store": acc.Customer.StoreID, "registrationType": string(s.settings.RegistrationType), "sourceIp": req.SourceIP}})
	s.outbox.Flush(ctx, acc.Outbox)

	if s.settings.RegistrationType == settings.Standard {
		res.Outcome = SignedIn
		res.CustomerID = acc.Customer.ID
		res.Session = issued
		return res, nil
	}
	return s.pending(res), nil
}

func (s *Service) pending(res Result) Result {
	res.Outcome = PendingVerification
	if s.settings.RegistrationType == settings.AdminApproval {
		res.Outcome = PendingApproval
	}
	return res
}

// account builds everything the registration writes.
func (s *Service) account(c clean, req Request, hash string) (Account, *session.Issued, error) {
	now := s.now().UTC()
	id, err := customer.NewID(s.random)
	if err != nil {
		return Account{}, nil, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	storeID := req.StoreID
	if storeID == "" {
		storeID = s.settings.DefaultStoreID
	}
	lang := s.settings.Language(req.Language)
	cust := customer.Customer{
		ID: id, StoreID: storeID, Email: c.email, Username: c.username,
		Status:           customer.Unverified,
		RequiresApproval: s.settings.RegistrationType == settings.AdminApproval,
		PasswordHash:     hash, Language: lang, Profile: c.profile,
		Attributes: c.attributes, Newsletters: c.newsletters,
		CreatedAt: now, UpdatedAt: now,
	}
	acc := Account{Customer: cust, EmailKey: customer.NormalizeLogin(c.email), ResendInterval: time.Duration(s.settings.Resend.Interval)}
	if c.username != "" {
		acc.UsernameKey = customer.NormalizeLogin(c.username)
	}
	acc.Consents = consentLog(id, c, now)

	if s.settings.NotifyStoreOwner {
		note, err := s.message(mail.StoreOwnerNewCustomer, cust, now)
		if err != nil {
			return Account{}, nil, err
		}
		note.To, note.Language, note.FirstName, note.LastName, note.CustomerID = s.settings.StoreOwnerEmail, s.settings.OwnerLanguage(), "", "", cust.ID
		note.About = &mail.Subject{Email: cust.Email, FirstName: cust.Profile.FirstName, LastName: cust.Profile.LastName,
			Company: cust.Profile.Company, RegistrationType: string(s.settings.RegistrationType)}
		acc.Outbox = append(acc.Outbox, note)
	}

	var issued *session.Issued
	switch s.settings.RegistrationType {
	case settings.Standard:
		acc.Customer.Status = customer.Active
		iss, sess, err := s.sessions.New(id, false)
		if err != nil {
			return Account{}, nil, err
		}
		acc.Session, issued = &sess, &iss
		welcome, err := s.message(mail.Welcome, acc.Customer, now)
		if err != nil {
			return Account{}, nil, err
		}
		acc.Outbox = append(acc.Outbox, welcome)
	default:
		plain, digest, err := s.tokens.New()
		if err != nil {
			return Account{}, nil, apperr.Wrap(apperr.Internal, "Could not register.", err)
		}
		expires := now.Add(time.Duration(s.settings.VerificationTokenLifetime)).Truncate(time.Second)
		acc.Verification = &Verification{Digest: digest, CustomerID: id, ExpiresAt: expires, CreatedAt: now}
		msg, err := s.message(mail.EmailValidation, cust, now)
		if err != nil {
			return Account{}, nil, err
		}
		msg.Link = verification.Link(s.settings.URLs.PublicAPI, plain)
		msg.ExpiresAt = expires
		acc.Outbox = append(acc.Outbox, msg)
	}
	return acc, issued, nil
}

// activity writes an audit entry after the account exists; a failure is
// logged, not returned, because the registration already happened.
func (s *Service) activity(ctx context.Context, a customer.Activity) {
	if err := s.store.AddActivity(ctx, a); err != nil {
		s.log.WarnContext(ctx, "activity log write failed", "customerId", a.CustomerID, "type", a.Type, "error", err)
	}
}

func (s *Service) message(kind mail.Kind, c customer.Customer, now time.Time) (mail.Message, error) {
	id, err := customer.NewID(s.random)
	if err != nil {
		return mail.Message{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	return mail.Message{
		ID: id, Kind: kind, To: c.Email, Language: c.Language, StoreID: c.StoreID, CustomerID: c.ID,
		FirstName: c.Profile.FirstName, LastName: c.Profile.LastName, CreatedAt: now,
	}, nil
}

func consentLog(customerID string, c clean, now time.Time) []customer.ConsentRecord {
	var log []customer.ConsentRecord
	if c.privacyAccepted {
		log = append(log, customer.ConsentRecord{CustomerID: customerID, ConsentID: customer.PrivacyPolicyConsentID,
			Agreed: true, Message: "Privacy policy accepted at registration.", At: now})
	}
	if len(c.newsletters) > 0 {
		log = append(log, customer.ConsentRecord{CustomerID: customerID, ConsentID: customer.NewsletterConsentID,
			Agreed: true, Message: "Newsletter subscription at registration.", At: now})
	}
	for _, a := range c.consents {
		log = append(log, customer.ConsentRecord{CustomerID: customerID, ConsentID: a.consent.ID,
			Agreed: a.agreed, Message: a.consent.Message, At: now})
	}
	return log
}
