package verification

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/token"
)

// A resend happens in two halves. The request half answers the HTTP call: it
// checks the address's shape and stores the job with the client's count in
// one write (the outbox carries it to the mailer); it never looks the
// address up, so its answer and its
// timing are the same for every address. The job half runs in the mailer: it
// looks the customer up, applies the per-address interval, mints a new link
// (voiding the older ones) and mails it.

// Jobs stores jobs for the mailer.
type Jobs interface {
	// Enqueue stores job in the outbox and counts one event on limit (when
	// set) in one write; *throttle.Exceeded, storing nothing, when the
	// limit is reached.
	Enqueue(ctx context.Context, job outbox.Message, limit *throttle.Counter) error
}

// Captcha decides whether a request carries a solved CAPTCHA (captcha.Gate).
type Captcha = captcha.Checker

// Requests is the request half of resend.
type Requests struct {
	jobs    Jobs
	limit   settings.Limit
	captcha Captcha
	random  io.Reader
	now     func() time.Time
}

// NewRequests returns the request half; limit is the per-client limit and
// gate the store's CAPTCHA (nil: captcha.Off).
func NewRequests(jobs Jobs, limit settings.Limit, gate Captcha, random io.Reader, now func() time.Time) *Requests {
	if gate == nil {
		gate = captcha.Off
	}
	return &Requests{jobs: jobs, limit: limit, captcha: gate, random: random, now: now}
}

// Request asks for a new verification link for email. Whatever the address,
// a well-formed request succeeds the same way.
func (r *Requests) Request(ctx context.Context, email, captchaToken string, languages []string, sourceIP string) error {
	var f apperr.Fields
	email = customer.CheckEmail(&f, "email", email)
	if err := captcha.Guard(ctx, r.captcha, captcha.Resend, &f, captchaToken, sourceIP); err != nil {
		return err
	}
	now := r.now()
	limit := throttle.ClientCap(throttle.ClientResend, r.limit, now, sourceIP)
	id, err := customer.NewID(r.random)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	lang := ""
	if len(languages) > 0 {
		lang = languages[0]
	}
	job := outbox.New(id, now, outbox.Recipient{}, ResendJob{Email: email, Language: lang})
	return throttle.Refusal(r.jobs.Enqueue(ctx, job, limit))
}

// LinkStore is what issuing links reads and writes.
type LinkStore interface {
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// ClaimResend lets job send a link to emailKey now unless another job
	// (or the registration) did within interval; a retry of the same job
	// passes.
	ClaimResend(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
	// IssueLink makes l the customer's live link and voided its voided list,
	// on the condition that the customer is still Unverified and its live
	// link is still previous (nil: none); otherwise ErrConflict.
	IssueLink(ctx context.Context, customerID string, previous *customer.Link, l customer.Link, voided []string, a customer.Activity) error
}

// Linker mints verification links and the mails that carry them. It runs in
// the mailer only: the plain token exists in its memory and in the mail.
type Linker struct {
	store     LinkStore
	tokens    *token.Generator
	lifetime  time.Duration
	interval  time.Duration
	publicAPI string
	codes     *code.Minter
	now       func() time.Time
	log       *slog.Logger
}

// LinkerDeps are the collaborators of a Linker.
type LinkerDeps struct {
	Store     LinkStore
	Tokens    *token.Generator
	Lifetime  time.Duration // of a link
	Interval  time.Duration // between two links to one address
	PublicAPI string
	// Codes puts a 6-digit code beside each link (nil: none).
	Codes *code.Minter
	Now   func() time.Time
	Log   *slog.Logger
}

// NewLinker returns a Linker.
func NewLinker(d LinkerDeps) *Linker {
	return &Linker{store: d.Store, tokens: d.Tokens, lifetime: d.Lifetime, interval: d.Interval,
		publicAPI: d.PublicAPI, codes: d.Codes, now: d.Now, log: d.Log}
}

// Mint returns a fresh link for cust, minted by the job jobID, and the mail
// that carries it, without
// storing anything: callers that write the link inside a larger change
// (completing a registration) store it themselves.
func (l *Linker) Mint(ctx context.Context, cust customer.Customer, now time.Time, jobID string) (customer.Link, outbox.Message, error) {
	plain, link, err := customer.MintLink(l.tokens, cust.ID, now, l.lifetime)
	if err != nil {
		return customer.Link{}, outbox.Message{}, err
	}
	link.IssuedBy = jobID
	c, err := l.codes.Add(ctx, code.Verify, cust.ID, customer.NormalizeLogin(cust.Email), &link)
	if err != nil {
		return customer.Link{}, outbox.Message{}, err
	}
	return link, outbox.New("", now, outbox.To(cust), mail.Validation{Link: URL(l.publicAPI, plain), ExpiresAt: link.ExpiresAt, Code: c}), nil
}

// Reissue mints (for the job jobID) and stores a new link for an unverified
// customer, voiding the live one, and returns its mail; false when the
// account is verified or gone.
func (l *Linker) Reissue(ctx context.Context, id, jobID string) (outbox.Message, bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		cust, err := l.store.Customer(ctx, id)
		if errors.Is(err, customer.ErrNotFound) {
			return outbox.Message{}, false, nil
		}
		if err != nil {
			return outbox.Message{}, false, err
		}
		now := l.now().UTC()
		if cust.Status != customer.Unverified || cust.Expired(now) {
			return outbox.Message{}, false, nil
		}
		link, msg, err := l.Mint(ctx, cust, now, jobID)
		if err != nil {
			return outbox.Message{}, false, err
		}
		live, voided := cust.WithLink(link)
		err = l.store.IssueLink(ctx, cust.ID, cust.Link, *live, voided,
			customer.Activity{CustomerID: cust.ID, Type: customer.ActivityLinkMailed, At: now, Detail: map[string]string{"job": jobID}})
		if errors.Is(err, ErrConflict) {
			continue // another link was issued meanwhile; read again
		}
		if err != nil {
			return outbox.Message{}, false, err
		}
		return msg, true, nil
	}
	return outbox.Message{}, false, apperr.New(apperr.Unavailable, "the customer's link kept changing")
}

// Due applies the per-address interval to a job, whatever caused it (a
// registration replacing an unverified one, a resend, a sign-in of an
// unverified account, the back office): the live link of another job
// starts it, and the resend claim keeps concurrent jobs apart. A job's own
// retry passes both. Reset links and address changes have intervals of
// their own: a link never holds them back, nor they a link.
func (l *Linker) Due(ctx context.Context, cust customer.Customer, jobID string) (bool, error) {
	if ln := cust.Link; ln != nil && ln.IssuedBy != jobID && l.now().Before(ln.IssuedAt.Add(l.interval)) {
		l.log.InfoContext(ctx, "link not mailed: the live one is younger than the resend interval", "jobId", jobID, "customerId", cust.ID)
		return false, nil
	}
	ok, err := l.store.ClaimResend(ctx, customer.NormalizeLogin(cust.Email), jobID, l.now().UTC(), l.interval)
	if err != nil || ok {
		return ok, err
	}
	l.log.InfoContext(ctx, "link not mailed: one went out within the resend interval", "jobId", jobID, "customerId", cust.ID)
	return false, nil
}

// Resend runs a resend job (ResendKind): it returns the EmailValidation
// mail to send, or nil when none is due.
func (l *Linker) Resend(ctx context.Context, job outbox.Message, j ResendJob) (*outbox.Message, error) {
	id, err := l.store.CustomerIDByEmail(ctx, customer.NormalizeLogin(j.Email))
	if errors.Is(err, customer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return outbox.Due(l.prepareFor(ctx, id, job.ID, j.Language))
}

// MailLink runs the job a right password on an unverified account, or the
// back office's invitation, leaves (account.VerificationLinkKind): it mails
// a fresh link unless one went out within the interval.
func (l *Linker) MailLink(ctx context.Context, job outbox.Message, j account.VerificationLinkJob) (*outbox.Message, error) {
	msg, due, err := l.prepareFor(ctx, j.CustomerID, job.ID, "")
	if v, ok := msg.Content.(mail.Validation); ok && j.Invitation {
		// The link tells the confirm page (which looks nothing up) to ask
		// for a new password rather than the one chosen at registration.
		v.Invitation, v.Link = true, v.Link+"&invite=1"
		msg.Content = v
	}
	return outbox.Due(msg, due, err)
}

// prepareFor reissues the link of customer id for the job jobID when one is
// due, in the customer's language or else in lang.
func (l *Linker) prepareFor(ctx context.Context, id, jobID, lang string) (outbox.Message, bool, error) {
	cust, err := l.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return outbox.Message{}, false, nil
	}
	if err != nil {
		return outbox.Message{}, false, err
	}
	if cust.Status != customer.Unverified || cust.Expired(l.now()) {
		return outbox.Message{}, false, nil
	}
	if due, err := l.Due(ctx, cust, jobID); err != nil || !due {
		return outbox.Message{}, false, err
	}
	msg, ok, err := l.Reissue(ctx, id, jobID)
	if ok && msg.To.Language == "" {
		msg.To.Language = lang
	}
	return msg, ok, err
}
