package verification

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/token"
)

// Link is the URL mailed to the customer: it opens the confirm page, which
// changes nothing until the customer presses its button.
func Link(publicAPI, plainToken string) string {
	return publicAPI + "/v1/verify-email?token=" + url.QueryEscape(plainToken)
}

// A resend happens in two halves. The request half answers the HTTP call: it
// checks the address's shape, applies the per-client cap and puts a job on
// the mail queue; it never looks the address up, so its answer and its timing
// are the same for every address. The job half runs in the mailer: it looks
// the customer up, applies the per-address interval, issues a new token and
// mails the link.

// Queue takes jobs.
type Queue interface {
	Send(ctx context.Context, msgs []mail.Message) (failed []string, err error)
}

// RateStore counts events in fixed windows.
type RateStore interface {
	// Hit counts one event for key in the window that contains now and
	// returns the count so far.
	Hit(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
}

// Requests is the request half of resend.
type Requests struct {
	rate      RateStore
	queue     Queue
	perClient int
	random    io.Reader
	now       func() time.Time
	log       *slog.Logger
}

// NewRequests returns the request half; perClientPerHour 0 turns the
// per-client cap off.
func NewRequests(rate RateStore, q Queue, perClientPerHour int, random io.Reader, now func() time.Time, log *slog.Logger) *Requests {
	return &Requests{rate: rate, queue: q, perClient: perClientPerHour, random: random, now: now, log: log}
}

// Request asks for a new verification link for email. Whatever the address,
// a well-formed request succeeds the same way.
func (r *Requests) Request(ctx context.Context, email string, languages []string, sourceIP string) error {
	email = customer.CanonicalEmail(email)
	if code, msg := customer.EmailProblem(email); code != "" {
		return apperr.Invalid([]apperr.FieldError{{Field: "email", Code: code, Message: msg}})
	}
	now := r.now()
	if r.perClient > 0 && sourceIP != "" {
		n, err := r.rate.Hit(ctx, "resend-client:"+token.Digest(sourceIP), now, time.Hour)
		if err != nil {
			return err
		}
		if n > r.perClient {
			// Still "accepted": the answer must not become a way to probe.
			r.log.WarnContext(ctx, "resend request over the per-client cap dropped", "count", n)
			return nil
		}
	}
	id, err := customer.NewID(r.random)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	lang := ""
	if len(languages) > 0 {
		lang = languages[0]
	}
	job := mail.Message{ID: id, Kind: mail.ResendVerification, To: email, Language: lang, CreatedAt: now.UTC()}
	failed, err := r.queue.Send(ctx, []mail.Message{job})
	if err == nil && len(failed) > 0 {
		err = errors.New("the queue refused the job")
	}
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, "The request could not be taken right now; nothing was changed. Try again.", err)
	}
	return nil
}

// ResendStore is what the job half reads and writes.
type ResendStore interface {
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// ClaimResend lets job send a link to emailKey now unless another job
	// did within interval; a retry of the same job is let through.
	ClaimResend(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
	// AddVerificationToken stores a new token.
	AddVerificationToken(ctx context.Context, t Token, createdAt time.Time) error
}

// Resender is the job half of resend.
type Resender struct {
	store     ResendStore
	tokens    *token.Generator
	lifetime  time.Duration
	interval  time.Duration
	publicAPI string
	now       func() time.Time
	log       *slog.Logger
}

// ResenderDeps are the collaborators of a Resender.
type ResenderDeps struct {
	Store     ResendStore
	Tokens    *token.Generator
	Lifetime  time.Duration // of a verification token
	Interval  time.Duration // between two links to one address
	PublicAPI string
	Now       func() time.Time
	Log       *slog.Logger
}

// NewResender returns the job half.
func NewResender(d ResenderDeps) *Resender {
	return &Resender{store: d.Store, tokens: d.Tokens, lifetime: d.Lifetime, interval: d.Interval,
		publicAPI: d.PublicAPI, now: d.Now, log: d.Log}
}

var _ mail.Job = (*Resender)(nil)

// Prepare carries out a resend job: it returns the EmailValidation mail to
// send, or false when none is due.
func (r *Resender) Prepare(ctx context.Context, job mail.Message) (mail.Message, bool, error) {
	key := customer.NormalizeLogin(job.To)
	id, err := r.store.CustomerIDByEmail(ctx, key)
	if errors.Is(err, customer.ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	cust, err := r.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	if cust.Status != customer.Unverified {
		return mail.Message{}, false, nil
	}
	now := r.now().UTC()
	ok, err := r.store.ClaimResend(ctx, key, job.ID, now, r.interval)
	if err != nil {
		return mail.Message{}, false, err
	}
	if !ok {
		r.log.InfoContext(ctx, "resend throttled for this address", "jobId", job.ID, "customerId", cust.ID)
		return mail.Message{}, false, nil
	}
	plain, digest, err := r.tokens.New()
	if err != nil {
		return mail.Message{}, false, err
	}
	expires := now.Add(r.lifetime).Truncate(time.Second)
	if err := r.store.AddVerificationToken(ctx, Token{Digest: digest, CustomerID: cust.ID, ExpiresAt: expires}, now); err != nil {
		return mail.Message{}, false, err
	}
	lang := cust.Language
	if lang == "" {
		lang = job.Language
	}
	return mail.Message{
		// Derived from the job, so a redelivered job maps to the same mail
		// and the ledger sends it once.
		ID: job.ID + "-link", Kind: mail.EmailValidation, To: cust.Email, Language: lang, StoreID: cust.StoreID,
		CustomerID: cust.ID, FirstName: cust.Profile.FirstName, LastName: cust.Profile.LastName,
		Link: Link(r.publicAPI, plain), ExpiresAt: expires, CreatedAt: now,
	}, true, nil
}
