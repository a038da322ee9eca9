package myaccount

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/token"
)

// ResetPath is the page a reset mail links to; httpapi serves it there.
const ResetPath = "/v1/password-reset"

// RequestReset asks for a password-reset mail for email. Every well-formed
// request is answered alike and writes alike (one job, one count on the
// client's limit): whether the address has an account is decided by the
// mailer, off the request path.
func (s *Service) RequestReset(ctx context.Context, email, captchaToken string, languages []string, sourceIP string) error {
	var f apperr.Fields
	email = customer.CheckEmail(&f, "email", email)
	if err := captcha.Guard(ctx, s.captcha, captcha.PasswordReset, &f, captchaToken, sourceIP); err != nil {
		return err
	}
	return s.enqueueReset(ctx, email, languages, sourceIP)
}

// enqueueReset stores the job that mails email a reset link, counted on
// the client's limit.
func (s *Service) enqueueReset(ctx context.Context, email string, languages []string, sourceIP string) error {
	now := s.now().UTC()
	limit := throttle.ClientCap(throttle.ClientPasswordReset, s.settings.ClientLimits.PasswordReset, now, sourceIP)
	id, err := s.newID()
	if err != nil {
		return err
	}
	lang := ""
	if len(languages) > 0 {
		lang = languages[0]
	}
	job := outbox.New(id, now, outbox.Recipient{}, PasswordResetJob{Email: email, Language: lang})
	return throttle.Refusal(s.store.Enqueue(ctx, job, limit))
}

// RequestResetFromLink is the confirm page's "Forgot your password?": the
// holder of a live verification link (who proved the mailbox by opening
// it) asks for a reset link to the account's address, as RequestReset
// would, without typing the address or solving a CAPTCHA. Using the reset
// link verifies the account (ResetPassword). A token that is not the
// account's live link is token_invalid, expired token_expired.
func (s *Service) RequestResetFromLink(ctx context.Context, token string, languages []string, sourceIP string) error {
	id, digest, ok := customer.ParseLinkToken(strings.TrimSpace(token))
	if !ok {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	c, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	if err != nil {
		return err
	}
	if c.Status != customer.Unverified || c.Expired(s.now()) {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	if err := liveLink(c.Link, digest, s.now()); err != nil {
		return err
	}
	return s.enqueueReset(ctx, c.Email, languages, sourceIP)
}

// Links mints the links of My account (password reset, address change) in
// the mailer: the plain token exists in its memory and in the mail only.
type Links struct {
	store     Store
	tokens    *token.Generator
	settings  Settings
	publicAPI string
	codes     *code.Minter
	now       func() time.Time
}

// Settings are the lifetimes and interval Links use.
type Settings struct {
	ResetLifetime, EmailChangeLifetime, Interval time.Duration
}

// NewLinks returns the mailer's half of My account.
func NewLinks(store Store, tokens *token.Generator, s Settings, publicAPI string, now func() time.Time) *Links {
	return &Links{store: store, tokens: tokens, settings: s, publicAPI: publicAPI, now: now}
}

// WithCodes has reset links carry a 6-digit code too (m nil: none).
func (l *Links) WithCodes(m *code.Minter) *Links {
	l.codes = m
	return l
}

// Reset runs a PasswordResetJob: it mints a reset link for the job's
// address and returns its mail; nil when the address has no account that
// can use one, or a link went to it within the interval.
func (l *Links) Reset(ctx context.Context, job outbox.Message, j PasswordResetJob) (*outbox.Message, error) {
	key := customer.NormalizeLogin(j.Email)
	id, err := l.store.CustomerIDByEmail(ctx, key)
	if errors.Is(err, customer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := l.now().UTC()
	if due, err := l.store.ClaimReset(ctx, key, job.ID, now, l.settings.Interval); err != nil || !due {
		return nil, err
	}
	// A recovery since the request voids it (the request wrote nothing to
	// the account, so its time is its instance's clock: a request made in
	// the same few milliseconds as a recovery, on an instance whose clock
	// lags, may be voided too and is asked for again). The link names the
	// address it goes to, and works only while the account has that
	// address.
	plainCode, err := l.codes.Plan(ctx, key)
	if err != nil {
		return nil, err
	}
	c, plain, link, due, err := l.issue(ctx, id, job.ID, now, l.settings.ResetLifetime,
		func(c customer.Customer) bool {
			return resettable(c, now) && customer.NormalizeLogin(c.Email) == key && !c.RecoveredSince(job.CreatedAt)
		},
		func(c *customer.Customer, link customer.Link) error {
			link.SentTo = key
			c.Reset = &link
			return l.codes.Seal(ctx, code.Reset, c.ID, c.Reset, plainCode)
		})
	if err != nil || !due {
		return nil, err
	}
	to := outbox.To(c)
	if to.Language == "" {
		to.Language = j.Language
	}
	m := outbox.New("", now, to, mail.ResetLink{Link: l.url(ResetPath, plain), ExpiresAt: link.ExpiresAt, Code: plainCode})
	return &m, nil
}

// issue mints a link for the account id (its life starting at start), in a
// conditional write of the account that set puts it in, reading again when
// another write came first; due is false when wanted says the account
// should get none. It returns the account as read and the plain token,
// which exists only in memory and in the mail.
func (l *Links) issue(ctx context.Context, id, jobID string, start time.Time, life time.Duration,
	wanted func(customer.Customer) bool, set func(*customer.Customer, customer.Link) error) (c customer.Customer, plain string, link customer.Link, due bool, err error) {
	for attempt := 0; attempt < 3; attempt++ {
		c, err = l.store.Customer(ctx, id)
		if errors.Is(err, customer.ErrNotFound) {
			return c, "", link, false, nil
		}
		if err != nil || !wanted(c) {
			return c, "", link, false, err
		}
		if plain, link, err = customer.MintLink(l.tokens, c.ID, start, life); err != nil {
			return c, "", link, false, err
		}
		link.IssuedBy = jobID
		after := c
		if err := set(&after, link); err != nil {
			return c, "", link, false, err
		}
		after.UpdatedAt = customer.Later(l.now().UTC(), c.UpdatedAt)
		err = l.store.Update(ctx, account.Update{Before: c, After: after})
		if errors.Is(err, account.ErrConflict) {
			continue
		}
		return c, plain, link, err == nil, err
	}
	return c, "", link, false, apperr.New(apperr.Unavailable, "the account kept changing")
}

// resettable reports whether a reset link may be mailed to c: any account
// that is not switched off or gone (an unverified one too: using the link
// proves the mailbox and so verifies it), and not expired.
func resettable(c customer.Customer, now time.Time) bool {
	switch c.Status {
	case customer.Deactivated, customer.Deleted:
		return false
	}
	return !c.Expired(now)
}

func (l *Links) url(path, plain string) string {
	return strings.TrimRight(l.publicAPI, "/") + path + "?token=" + url.QueryEscape(plain)
}

// ResetRequest is the form of the reset page.
type ResetRequest struct {
	// Token is the link's; or Email and Code, the 6-digit code mailed
	// beside it, for a customer on another device.
	Token    string
	Email    string
	Code     string
	StoreID  string
	Password string
	SourceIP string
}

// resetByCode finds the reset link a code was mailed beside: the account
// of the address, whose live reset link carries that code and was mailed
// to that address. Every wrong, unknown or spent code is the same
// code_invalid, counted on the address (package code).
func (s *Service) resetByCode(ctx context.Context, req ResetRequest) (id, digest string, err error) {
	if s.codes == nil {
		return "", "", code.Invalid()
	}
	if err := s.guard.Submitted(ctx, req.StoreID, req.SourceIP); err != nil {
		return "", "", err
	}
	key := customer.NormalizeLogin(req.Email)
	id, err = s.store.CustomerIDByEmail(ctx, key)
	if errors.Is(err, customer.ErrNotFound) || len(req.Email) > maxInput {
		return "", "", s.guard.Wrong(ctx, key, "")
	}
	if err != nil {
		return "", "", err
	}
	c, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return "", "", s.guard.Wrong(ctx, key, "")
	}
	if err != nil {
		return "", "", err
	}
	if c.Reset == nil || c.Reset.SentTo != key {
		return "", "", s.guard.Wrong(ctx, key, c.ID)
	}
	ok, err := s.codes.Check(ctx, code.Reset, c.ID, c.Reset, c.CodesVoidBefore, s.now(), req.Code)
	if err != nil {
		return "", "", apperr.Wrap(apperr.Unavailable, "The code could not be checked right now; try again.", err)
	}
	if !ok {
		return "", "", s.guard.Wrong(ctx, key, c.ID)
	}
	return c.ID, c.Reset.Digest, nil
}

// liveReset checks a token against c's reset link: nil when it is that
// link, unexpired, and mailed to the address the account still has.
func liveReset(c customer.Customer, digest string, now time.Time) error {
	if err := liveLink(c.Reset, digest, now); err != nil {
		return err
	}
	if c.Reset.SentTo != customer.NormalizeLogin(c.Email) {
		return apperr.New(apperr.TokenInvalid, "This link is not valid; the account's address changed since it was mailed.")
	}
	return nil
}

// liveLink checks a token against a stored link: nil when it is that link
// and unexpired.
func liveLink(l *customer.Link, digest string, now time.Time) error {
	if l == nil || subtle.ConstantTimeCompare([]byte(l.Digest), []byte(digest)) != 1 {
		return apperr.New(apperr.TokenInvalid, "This link is not valid; it was used, replaced by a newer one, or never existed.")
	}
	if l.Expired(now) {
		return apperr.New(apperr.TokenExpired, "This link has expired; ask for a new one.")
	}
	return nil
}

// ResetPassword sets a new password through a reset link: the link is
// spent, every session ends, the sign-in throttle of the account starts
// afresh (its counters name the password), a notice is mailed, and an
// account whose address was not verified yet is verified (the link proves
// the mailbox, the password is chosen now).
func (s *Service) ResetPassword(ctx context.Context, req ResetRequest) error {
	id, digest, ok := customer.ParseLinkToken(strings.TrimSpace(req.Token))
	byCode := req.Token == "" && (req.Email != "" || req.Code != "")
	if err := s.checkNewPassword(ctx, "password", req.Password); err != nil && (ok || byCode) {
		return err
	}
	if byCode {
		var err error
		if id, digest, err = s.resetByCode(ctx, req); err != nil {
			return err
		}
	} else if !ok {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	c, err := s.store.Customer(ctx, id)
	if errors.Is(err, customer.ErrNotFound) {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	if err != nil {
		return err
	}
	if err := liveReset(c, digest, s.now()); err != nil || !resettable(c, s.now()) {
		if err == nil {
			err = apperr.New(apperr.TokenInvalid, "This link is not valid.")
		}
		return err
	}
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Could not set the password.", err)
	}
	err = s.update(ctx, c, grant{}, func(c customer.Customer, now time.Time) (account.Update, error) {
		if err := liveReset(c, digest, now); err != nil {
			return account.Update{}, err
		}
		after := c
		after.PasswordHash = hash
		after.SessionsValidFrom, after.KeptSession = now, ""
		after.Recover(now)
		notice := s.mailTo(c.Unproven(), mail.PasswordChangedNotice{At: now})
		specs := []event.Spec{{Type: event.PasswordChanged, Changes: map[string]any{"via": "reset"}}}
		drop, err := s.endedPasskeys(ctx, c, "")
		if err != nil {
			return account.Update{}, err
		}
		u := account.Update{After: after, Activity: activity(c, customer.ActivityPasswordReset, now, req.SourceIP),
			Outbox: []outbox.Message{notice}, DropPasskeys: drop}
		if c.Status == customer.Unverified {
			// The link proves the mailbox, now; what an anonymous
			// registrant typed before was never proven, and goes.
			after = after.Unproven()
			after.Status = customer.Active
			if c.RequiresApproval {
				after.Status = customer.PendingApproval
			}
			after.EmailVerifiedAt, after.ExpiresAt, after.Link = now, time.Time{}, nil
			after.Verification = &customer.Activity{CustomerID: c.ID, Type: customer.ActivityEmailVerified, At: now,
				Detail: map[string]string{"sourceIp": req.SourceIP, "via": "password_reset"}}
			u.After = after
			if err := s.proven(ctx, c, &u, now); err != nil {
				return account.Update{}, err
			}
			specs = append(specs, event.Spec{Type: event.Verified, Changes: map[string]any{"status": string(after.Status), "email": after.Email}})
			if after.Status == customer.Active {
				u.Outbox = append(u.Outbox, s.mailTo(after, mail.WelcomeMail{}))
				specs = append(specs, event.Spec{Type: event.Activated, Changes: map[string]any{"status": string(after.Status)}})
			}
		}
		if u.Events, err = event.Of(s.random, c.ID, c.StoreID, now, specs...); err != nil {
			return account.Update{}, err
		}
		return u, nil
	})
	if apperr.CodeOf(err) == apperr.Unauthenticated {
		return apperr.New(apperr.TokenInvalid, "This link is not valid.")
	}
	return err
}

// proven adds to u what a reset that verifies the unverified account c
// does to the records beside it: the address's waiting subscriptions start
// where an operator chose them, and are dropped, with the consent log of
// the registration, where an anonymous registrant did (Customer.Unproven).
func (s *Service) proven(ctx context.Context, c customer.Customer, u *account.Update, now time.Time) error {
	var have []customer.Subscription
	if len(c.Newsletters) > 0 {
		var err error
		if have, err = s.subscriptionsOf(ctx, c); err != nil {
			return err
		}
	}
	if c.ByOperator {
		if len(c.Newsletters) > 0 {
			u.Subscriptions = customer.Activate(have, c.Newsletters, now)
		}
		return nil
	}
	for _, sub := range have {
		if !sub.Active && !sub.ExpiresAt.IsZero() {
			u.DropSubscriptions = append(u.DropSubscriptions, sub)
		}
	}
	recs, err := s.store.Records(ctx, c.ID)
	if err != nil {
		return err
	}
	u.DropConsents = recs.Consents
	return nil
}
