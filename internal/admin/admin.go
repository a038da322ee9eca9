package admin

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/profile"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/vat"
)

// Operator is who acts in the back office (an IAM principal's ARN, or
// "local-admin").
type Operator string

// Page is one page of a list, newest first.
type Page struct {
	Customers []customer.Customer
	// Cursor names the next page ("" after the last).
	Cursor string
}

// ActivityPage is one page of a customer's activity log, newest first.
type ActivityPage struct {
	Entries []customer.Activity
	Cursor  string
}

// ErrBadCursor is returned by a Store for a cursor it did not make.
var ErrBadCursor = errors.New("admin: malformed cursor")

// Store is what the back office reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (customer.Customer, error)
	CreateAccount(ctx context.Context, acc account.Creation) error
	Update(ctx context.Context, u account.Update) error
	Enqueue(ctx context.Context, job outbox.Message, limit *throttle.Counter) error
	SignInSucceeded(ctx context.Context, a account.SignIn) error
	ListByStatus(ctx context.Context, storeID string, st customer.Status, limit int, cursor string) (Page, error)
	ActivityPage(ctx context.Context, customerID string, limit int, cursor string) (ActivityPage, error)
	Records(ctx context.Context, customerID string) (account.Records, error)
	// Subscriptions returns a normalised address's newsletter
	// subscriptions in a store (an import joins them).
	Subscriptions(ctx context.Context, storeID, emailKey string) ([]customer.Subscription, error)
}

// Sessions starts impersonation sessions.
type Sessions interface {
	New(customerID string, rememberMe bool, client session.Client) (session.Issued, session.Session, error)
}

// Service runs the back office.
type Service struct {
	settings settings.Settings
	store    Store
	sessions Sessions
	hasher   *password.Hasher
	breached *password.Range
	random   io.Reader
	now      func() time.Time
}

// Deps are the collaborators of a Service.
type Deps struct {
	Settings settings.Settings
	Store    Store
	Sessions Sessions
	Hasher   *password.Hasher
	// Breached is the Pwned Passwords range API where the password policy
	// asks it (password.RangeFor; nil: the bundled list only).
	Breached *password.Range
	Random   io.Reader
	Now      func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{settings: d.Settings, store: d.Store, sessions: d.Sessions, hasher: d.Hasher, breached: d.Breached, random: d.Random, now: d.Now}
}

// ImpersonationLifetime bounds an impersonation session.
const ImpersonationLifetime = time.Hour

// MaxPage bounds a page.
const MaxPage = 100

func notFound() error {
	return apperr.New(apperr.CustomerNotFound, "There is no such customer.")
}

// customer reads a customer, or CustomerNotFound (an erased one too).
func (s *Service) customer(ctx context.Context, id string) (customer.Customer, error) {
	if !customer.ValidID(id) {
		return customer.Customer{}, notFound()
	}
	c, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) || (err == nil && c.Status == customer.Deleted) {
		return customer.Customer{}, notFound()
	}
	return c, err
}

func (s *Service) id() (string, error) {
	id, err := customer.NewID(s.random)
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	return id, nil
}

// entry is an activity entry the operator caused.
func entry(c customer.Customer, t customer.ActivityType, op Operator, now time.Time) *customer.Activity {
	return &customer.Activity{CustomerID: c.ID, Type: t, At: now, Detail: map[string]string{"admin": string(op)}}
}

// CreateRequest is a customer the back office creates.
type CreateRequest struct {
	Email, Username, Password string
	Profile                   customer.Profile
	Attributes                map[string]string
	Language                  string
	StoreID                   string
}

// Create creates an unverified customer, with or without a password, under
// the registration's field rules, and queues its verification mail (an
// invitation to choose a password when none was set). The customer is
// Unverified until the link is used; a store that approves accounts has it
// approved by its creation.
func (s *Service) Create(ctx context.Context, op Operator, r CreateRequest) (customer.Customer, error) {
	var f apperr.Fields
	email := customer.CheckEmail(&f, "email", r.Email)
	username := customer.Canonical(r.Username)
	switch {
	case s.settings.UsernamesEnabled && username != "":
		if code, msg := customer.UsernameProblem(username); code != "" {
			f.Add("username", code, msg)
		}
	case !s.settings.UsernamesEnabled && username != "":
		f.Add("username", "not_enabled", "This store does not use usernames.")
	case s.settings.UsernamesEnabled:
		f.Add("username", "required", "Username is required.")
	}
	if r.Password != "" {
		s.settings.PasswordPolicy.With(s.breached).Add(ctx, &f, "password", r.Password)
	}
	now := s.now().UTC()
	fields, attrs, _, err := profile.Check(s.settings, now, r.Profile, r.Attributes, nil)
	if err != nil {
		f = append(f, apperr.As(err).Fields...)
	}
	if err := f.Err(); err != nil {
		return customer.Customer{}, err
	}
	hash := ""
	if r.Password != "" {
		if hash, err = s.hasher.Hash(r.Password); err != nil {
			return customer.Customer{}, apperr.Wrap(apperr.Internal, "Could not create the customer.", err)
		}
	}
	id, err := s.id()
	if err != nil {
		return customer.Customer{}, err
	}
	storeID := r.StoreID
	if storeID == "" {
		storeID = s.settings.DefaultStoreID
	}
	c := customer.Customer{ID: id, StoreID: storeID, Email: email, Username: username, Status: customer.Unverified,
		ByOperator: true, PasswordHash: hash, Language: s.settings.Language([]string{r.Language}), Profile: fields, Attributes: attrs,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(s.settings.UnverifiedAccountLifetime)).Truncate(time.Second)}
	jobID, err := s.id()
	if err != nil {
		return customer.Customer{}, err
	}
	job := outbox.New(jobID, now, outbox.Recipient{}, account.VerificationLinkJob{CustomerID: c.ID, StoreID: storeID, Invitation: hash == ""})
	acc := account.Creation{Customer: c, EmailKey: customer.NormalizeLogin(email), Outbox: []outbox.Message{job},
		Activity: customer.Activity{CustomerID: c.ID, Type: customer.ActivityRegistered, At: now,
			Detail: map[string]string{"admin": string(op), "registrationType": "back-office"}}}
	if username != "" {
		acc.UsernameKey = customer.NormalizeLogin(username)
	}
	// The back office's customer gets the registration's default address
	// and VAT check too.
	addr, err := profile.DefaultAddress(s.settings, c.Email, c.Profile, now, s.random)
	if err != nil {
		return customer.Customer{}, err
	}
	if addr != nil {
		acc.Customer.Addresses = []customer.Address{*addr}
		acc.Customer.BillingAddressID, acc.Customer.ShippingAddressID = addr.ID, addr.ID
	}
	check, err := vat.StartCheck(s.settings.Vat.EUVat, s.random, now, &acc.Customer)
	if err != nil {
		return customer.Customer{}, err
	}
	if check != nil {
		acc.Outbox = append(acc.Outbox, *check)
	}
	if acc.Events, err = event.Of(s.random, c.ID, storeID, now, event.Spec{Type: event.Registered,
		Changes: map[string]any{"status": string(c.Status), "registrationType": "BackOffice"}}); err != nil {
		return customer.Customer{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	switch err := s.store.CreateAccount(ctx, acc); {
	case errors.Is(err, account.ErrEmailTaken):
		return customer.Customer{}, apperr.New(apperr.EmailTaken, "An account with this email address exists.")
	case errors.Is(err, account.ErrUsernameTaken):
		return customer.Customer{}, apperr.New(apperr.UsernameTaken, "This username is taken.")
	case err != nil:
		return customer.Customer{}, err
	}
	return acc.Customer, nil
}

// ListStatus is a status as the back office lists it.
var ListStatus = map[string]customer.Status{
	"unverified": customer.Unverified, "verified": customer.Active,
	"pending_approval": customer.PendingApproval, "deactivated": customer.Deactivated,
	"undeliverable": customer.Undeliverable,
}

// List returns a page of a store's customers with a status, newest first.
func (s *Service) List(ctx context.Context, storeID, status string, limit int, cursor string) (Page, error) {
	st, ok := ListStatus[status]
	var f apperr.Fields
	if !ok {
		f.Add("status", "invalid_status", "Status must be unverified, verified, pending_approval, deactivated or undeliverable.")
	}
	if limit < 1 || limit > MaxPage {
		f.Add("limit", "out_of_range", "Limit must be from 1 to 100.")
	}
	if err := f.Err(); err != nil {
		return Page{}, err
	}
	if storeID == "" {
		storeID = s.settings.DefaultStoreID
	}
	p, err := s.store.ListByStatus(ctx, storeID, st, limit, cursor)
	if errors.Is(err, ErrBadCursor) {
		return Page{}, apperr.Invalid([]apperr.FieldError{{Field: "cursor", Code: "invalid_cursor", Message: "This cursor was not made by this list."}})
	}
	return p, err
}
