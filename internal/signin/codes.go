package signin

import (
	"context"
	"errors"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/token"
)

// CodeLifetime is how long a sign-in code lives.
const CodeLifetime = 15 * time.Minute

// clientCodeRequests is the per-client counter of code requests.
const clientCodeRequests = "client-signin-code"

// CodeKind: someone asked for a sign-in code for an address; the mailer
// (Jobs) mails one to an active account, at most once per resend
// interval, so the answer to the request revealed nothing.
const CodeKind outbox.Kind = "sign_in_code_request"

// CodeJob asks for a sign-in code for an address, as typed, in the
// caller's language should the account have none.
type CodeJob struct {
	Email    string `json:"email"`
	Language string `json:"language,omitempty"`
}

// Kind implements outbox.Content.
func (CodeJob) Kind() outbox.Kind { return CodeKind }

// TypedAddress implements outbox.TypedAddress.
func (c CodeJob) TypedAddress() string { return c.Email }
func (c CodeJob) Check() error         { return outbox.Need("an address", c.Email) }

// RequestCode answers POST /v1/sign-in-codes: 202 for any well-formed
// address (the mailer decides whether a code goes), counted on the
// client's limit; not_found where the store does not sign in by code.
func (s *Service) RequestCode(ctx context.Context, email string, languages []string, sourceIP string) error {
	if !s.settings.SignIn.EmailCodes || s.codes == nil {
		return apperr.New(apperr.NotFound, "This store does not sign in with mailed codes.")
	}
	var f apperr.Fields
	email = customer.CheckEmail(&f, "email", email)
	if err := f.Err(); err != nil {
		return err
	}
	now := s.now().UTC()
	id, err := customer.NewID(s.random)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Could not ask for a code.", err)
	}
	lang := ""
	if len(languages) > 0 {
		lang = languages[0]
	}
	limit := throttle.ClientCap(clientCodeRequests, s.settings.ClientLimits.Resend, now, sourceIP)
	job := outbox.New(id, now, outbox.Recipient{}, CodeJob{Email: email, Language: lang})
	return throttle.Refusal(s.store.Enqueue(ctx, job, limit))
}

// CodeStore is what the mailer's half of sign-in codes reads and writes.
type CodeStore interface {
	Login(ctx context.Context, kind, key string) (customer.Customer, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// ClaimSignInCode lets job mail a code to emailKey unless another job
	// did within interval (a retry of the same job passes).
	ClaimSignInCode(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
	// SetSignInCode makes l the live sign-in code of the email key, if
	// customerID still holds it (customer.ErrNotFound otherwise).
	SetSignInCode(ctx context.Context, emailKey, customerID string, l customer.Link, a customer.Activity) error
}

// Jobs is the mailer's half of sign-in: it mails sign-in codes (CodeJob)
// and "new sign-in" notices (NewSignInJob).
type Jobs struct {
	store    CodeStore
	codes    *code.Minter
	tokens   *token.Generator
	interval time.Duration
	now      func() time.Time
}

// NewJobs returns the sign-in jobs, mailing at most one code per
// interval to an address.
func NewJobs(store CodeStore, codes *code.Minter, tokens *token.Generator, interval time.Duration, now func() time.Time) *Jobs {
	return &Jobs{store: store, codes: codes, tokens: tokens, interval: interval, now: now}
}

// Run runs a CodeJob: an active account's address gets a code, unless one
// went to it within the interval or the address had its codes for the day.
func (m *Jobs) Run(ctx context.Context, job outbox.Message, j CodeJob) (*outbox.Message, error) {
	key := customer.NormalizeLogin(j.Email)
	view, err := m.store.Login(ctx, "email", key)
	if errors.Is(err, customer.ErrNotFound) || (err == nil && !view.CanSignIn()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	if due, err := m.store.ClaimSignInCode(ctx, key, job.ID, now, m.interval); err != nil || !due {
		return nil, err
	}
	// The code's own link is a nonce the code is bound to: a newer code
	// replaces it, and with it the older code.
	_, nonce, err := m.tokens.New()
	if err != nil {
		return nil, err
	}
	l := customer.NewLink(nonce, now, CodeLifetime)
	l.IssuedBy = job.ID
	plain, err := m.codes.Add(ctx, code.SignIn, view.ID, key, &l)
	if err != nil || plain == "" {
		return nil, err // the address had its codes for today
	}
	a := customer.Activity{CustomerID: view.ID, Type: customer.ActivitySignInCodeMailed, At: now, Detail: map[string]string{"job": job.ID}}
	if err := m.store.SetSignInCode(ctx, key, view.ID, l, a); err != nil {
		if errors.Is(err, customer.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	c, err := m.store.Customer(ctx, view.ID)
	if err != nil {
		return nil, err
	}
	to := outbox.To(c)
	if to.Language == "" {
		to.Language = j.Language
	}
	msg := outbox.New("", now, to, mail.SignInCodeMail{Code: plain, ExpiresAt: l.ExpiresAt})
	return &msg, nil
}

// codeSignIn checks a sign-in code against the login's sign-in view (the
// email key holds it): the code to spend when it is the live one. Wrong,
// unknown and spent codes count on the address (code.Guard) and answer
// code_invalid. The submission's own counters (client, store) are counted
// in the attempt's write (SignIn), so a code sign-in is one read and one
// write.
func (s *Service) codeSignIn(ctx context.Context, kind, key string, cust customer.Customer, found bool, req Request) (*account.CodeUse, error) {
	if !s.settings.SignIn.EmailCodes || s.codes == nil || kind != "email" {
		return nil, code.Invalid()
	}
	id := ""
	if found {
		id = cust.ID
	}
	if !found || !cust.CanSignIn() || cust.SignInCode == nil {
		return nil, s.guard.Wrong(ctx, key, id)
	}
	ok, err := s.codes.Check(ctx, code.SignIn, cust.ID, cust.SignInCode, cust.CodesVoidBefore, s.now(), req.Code)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, "The code could not be checked right now; try again.", err)
	}
	if !ok {
		return nil, s.guard.Wrong(ctx, key, id)
	}
	return &account.CodeUse{EmailKey: key, Digest: cust.SignInCode.Digest}, nil
}

// NewSignInKind: a sign-in from a device the login had not seen; the
// mailer (Jobs.NewSignIn) mails the account's address a notice.
const NewSignInKind outbox.Kind = "new_sign_in_notice"

// NewSignInJob names the account and what its notice shows of the device
// (never the address: the mailer reads it).
type NewSignInJob struct {
	CustomerID string    `json:"customerId"`
	At         time.Time `json:"at"`
	UserAgent  string    `json:"userAgent,omitempty"`
	Address    string    `json:"address,omitempty"`
}

// Kind implements outbox.Content.
func (NewSignInJob) Kind() outbox.Kind { return NewSignInKind }

// Concerns implements outbox.Concerning.
func (j NewSignInJob) Concerns() string { return j.CustomerID }
func (j NewSignInJob) Check() error     { return outbox.Need("a customer", j.CustomerID) }

// NewSignIn runs a NewSignInJob: the account's address gets the notice,
// if the account still signs in.
func (m *Jobs) NewSignIn(ctx context.Context, _ outbox.Message, j NewSignInJob) (*outbox.Message, error) {
	c, err := m.store.Customer(ctx, j.CustomerID)
	if errors.Is(err, customer.ErrNotFound) || (err == nil && !c.CanSignIn()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	msg := outbox.New("", m.now().UTC(), outbox.To(c), mail.NewSignInNotice{At: j.At, UserAgent: j.UserAgent, Address: j.Address})
	return &msg, nil
}
