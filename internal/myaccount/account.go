package myaccount

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/emailcheck"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

// Store is what My account reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (customer.Customer, error)
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	// Subscriptions returns a normalised address's newsletter
	// subscriptions in a store.
	Subscriptions(ctx context.Context, storeID, emailKey string) ([]customer.Subscription, error)
	// Update applies u; see account.Update.
	Update(ctx context.Context, u account.Update) error
	// Enqueue stores a job, counted on limit (nil: none);
	// *throttle.Exceeded when over it (nothing is stored then).
	Enqueue(ctx context.Context, job outbox.Message, limit *throttle.Counter) error
	// ClaimReset lets job mail a reset link to emailKey unless another job
	// did within interval (a retry of the same job passes).
	ClaimReset(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
	// Records returns what is stored about a customer besides the account
	// itself: its consent log and activity log, oldest first.
	Records(ctx context.Context, customerID string) (account.Records, error)
	// SessionsOf returns a customer and their sessions (expired and
	// revoked ones included), in one read; customer.ErrNotFound when the
	// customer is gone.
	SessionsOf(ctx context.Context, customerID string) (customer.Customer, []session.Session, error)
	code.GuardStore
	PasskeyStore
	// EndSession ends a session and stores the entry and events, in one
	// write (session.Store).
	EndSession(ctx context.Context, r session.Ref, a customer.Activity, events []event.Event) error
	// Sweep deletes what an erased customer left in the table besides its
	// tombstone and consent log (sessions, activity entries, mails and
	// notices about them, and the jobs that named the address whose
	// customer.AddressDigest is addressDigest), and reports how many items
	// it deleted. It can be run again.
	Sweep(ctx context.Context, customerID, addressDigest string) (int, error)
}

// Sessions is the part of the session manager My account uses.
type Sessions interface {
	Authenticate(ctx context.Context, plain string) (session.Session, customer.Customer, error)
	Among(plain string, c customer.Customer, all []session.Session) (session.Session, error)
}

// Passwords checks a signed-in customer's password the way sign-in does:
// a wrong one counts as a failed sign-in, under the same throttle
// (signin.Service).
type Passwords interface {
	CheckPassword(ctx context.Context, c customer.Customer, password, sourceIP string) error
}

// Captcha decides whether a request carries a solved CAPTCHA (captcha.Gate).
type Captcha = captcha.Checker

// Service runs My account.
type Service struct {
	settings  settings.Settings
	store     Store
	sessions  Sessions
	passwords Passwords
	hasher    *password.Hasher
	breached  *password.Range
	captcha   Captcha
	codes     *code.Hasher
	guard     *code.Guard
	passkeys  *passkey.Ceremonies
	emails    *emailcheck.Checker
	random    io.Reader
	now       func() time.Time
	log       *slog.Logger
}

// Deps are the collaborators of a Service.
type Deps struct {
	Settings  settings.Settings
	Store     Store
	Sessions  Sessions
	Passwords Passwords
	Hasher    *password.Hasher
	// Breached is the Pwned Passwords range API where the password policy
	// asks it (password.RangeFor; nil: the bundled list only).
	Breached *password.Range
	// Captcha is the store's CAPTCHA gate (nil: captcha.Off); it guards
	// password-reset requests.
	Captcha Captcha
	// Passkeys runs the WebAuthn ceremonies of the store's relying party
	// (nil: the store offers no passkeys).
	Passkeys *passkey.Ceremonies
	// Codes checks the 6-digit codes mailed beside reset links, Guard
	// bounds their guessing (nil Codes: no code is taken).
	Codes *code.Hasher
	Guard *code.Guard
	// EmailChecks apply settings emailChecks to a new address (nil:
	// none).
	EmailChecks *emailcheck.Checker
	Random      io.Reader
	Now         func() time.Time
	Log         *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{settings: d.Settings, store: d.Store, sessions: d.Sessions, passwords: d.Passwords,
		hasher: d.Hasher, breached: d.Breached, captcha: d.Captcha, codes: d.Codes, guard: d.Guard, passkeys: d.Passkeys, emails: d.EmailChecks, random: d.Random, now: d.Now, log: d.Log}
	if s.captcha == nil {
		s.captcha = captcha.Off
	}
	return s
}

// subscriptionsOf reads the newsletter subscriptions of c's address.
func (s *Service) subscriptionsOf(ctx context.Context, c customer.Customer) ([]customer.Subscription, error) {
	return s.store.Subscriptions(ctx, c.StoreID, customer.NormalizeLogin(c.Email))
}

// maxInput bounds what is hashed.
const maxInput = 1024

// grant is what allowed a change of an account: the session it was asked
// in (zero for a change a link allows) and, where the change needed the
// password, the hash that password was checked against.
type grant struct {
	session session.Session
	hash    string
}

// allowedBy is the grant of a change asked in sess; checked is the hash a
// password was checked against ("" when none was asked for).
func allowedBy(sess session.Session, checked string) grant {
	return grant{session: sess, hash: checked}
}

// holds reports whether g still allows a change of c, as read at now: the
// session is not ended by a recovery, the account may still hold one, and
// the password checked is still the account's. A recovery that commits
// between the check and the change's write makes the change void, not
// the recovery (recovery is final).
func (g grant) holds(c customer.Customer, now time.Time) error {
	if g.session.CustomerID == "" {
		return nil
	}
	if g.session.CustomerID != c.ID || !c.CanSignIn() || g.session.Revoked(c) || !now.Before(g.session.ExpiresAt) {
		return session.Unauthenticated()
	}
	if g.hash != "" && c.PasswordHash != g.hash {
		return apperr.New(apperr.InvalidCredentials, "The password was changed meanwhile; sign in again.")
	}
	return nil
}

// update applies a change to the account c (as the caller read it; read
// again after a conflict, up to twice): change returns the update to write
// from the account as read and the time of the write, or an error to
// answer. The time is the account's next UpdatedAt (customer.Later), so
// the times the writes of one account carry follow the order of the
// writes, whatever the clocks of the instances that made them: what a
// recovery voids (Customer.RecoveredSince) is decided by write order. The
// messages of the update that have no id yet get fresh ones. Before each attempt the
// grant is checked again on the account as read, and the write is
// conditional on the account being that one (account.Update) and, for a change
// asked in a session, on the session still existing: so a change that
// races a reset, a password change, a sign-out or an erasure never undoes
// it, whichever write the store sees first.
func (s *Service) update(ctx context.Context, c customer.Customer, g grant, change func(c customer.Customer, at time.Time) (account.Update, error)) error {
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			var err error
			c, err = s.store.Customer(ctx, c.ID)
			if errors.Is(err, customer.ErrNotFound) {
				return session.Unauthenticated()
			}
			if err != nil {
				return err
			}
		}
		if err := g.holds(c, s.now()); err != nil {
			return err
		}
		at := customer.Later(s.now().UTC(), c.UpdatedAt)
		u, err := change(c, at)
		if err != nil {
			return err
		}
		if err := s.identify(u.Outbox); err != nil {
			return err
		}
		u.Before = c
		u.After.UpdatedAt = at
		if g.session.CustomerID != "" {
			u.Session = g.session.Ref()
		}
		switch err := s.store.Update(ctx, u); {
		case errors.Is(err, account.ErrSessionGone):
			return session.Unauthenticated()
		case !errors.Is(err, account.ErrConflict):
			return err
		}
	}
	return apperr.New(apperr.Unavailable, "The account kept changing; try again.")
}

// signedIn is the customer of a session token, or Unauthenticated.
func (s *Service) signedIn(ctx context.Context, token string) (session.Session, customer.Customer, error) {
	sess, c, err := s.sessions.Authenticate(ctx, token)
	if err == nil && !c.CanSignIn() {
		return session.Session{}, customer.Customer{}, session.Unauthenticated()
	}
	return sess, c, err
}

// ownSession is the signed-in customer of token in a session of their own:
// an impersonation is refused (own).
func (s *Service) ownSession(ctx context.Context, token string) (session.Session, customer.Customer, error) {
	sess, c, err := s.signedIn(ctx, token)
	if err == nil {
		err = own(sess)
	}
	return sess, c, err
}

// withPassword is the signed-in customer of token and the grant of a
// change that needs their password: the session must be their own
// (ownSession), the form must have no problems (problems finds them,
// given the account), and pw must be the account's password, checked the
// way sign-in checks it (Passwords), in that order.
func (s *Service) withPassword(ctx context.Context, token, pw, sourceIP string, problems func(c customer.Customer) apperr.Fields) (customer.Customer, grant, error) {
	sess, c, err := s.ownSession(ctx, token)
	if err != nil {
		return customer.Customer{}, grant{}, err
	}
	if err := problems(c).Err(); err != nil {
		return customer.Customer{}, grant{}, err
	}
	if err := s.passwords.CheckPassword(ctx, c, pw, sourceIP); err != nil {
		return customer.Customer{}, grant{}, err
	}
	return c, allowedBy(sess, c.PasswordHash), nil
}

// needPassword is the problem of a form that asks for the account's
// password and lacks it.
func needPassword(pw string) (f apperr.Fields) {
	if pw == "" {
		f.Add("password", "required", "The password is required.")
	}
	return f
}

// newID is a fresh id for a message.
func (s *Service) newID() (string, error) {
	id, err := customer.NewID(s.random)
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	return id, nil
}

// identify gives each of msgs that has no id a fresh one.
func (s *Service) identify(msgs []outbox.Message) error {
	for i := range msgs {
		if msgs[i].ID != "" {
			continue
		}
		id, err := s.newID()
		if err != nil {
			return err
		}
		msgs[i].ID = id
	}
	return nil
}

// mailTo is a mail to c, without an id until update gives it one.
func (s *Service) mailTo(c customer.Customer, content outbox.Content) outbox.Message {
	return outbox.New("", s.now(), outbox.To(c), content)
}

// activity is an activity entry of c at now, from sourceIP.
func activity(c customer.Customer, t customer.ActivityType, now time.Time, sourceIP string) *customer.Activity {
	return &customer.Activity{CustomerID: c.ID, Type: t, At: now, Detail: map[string]string{"sourceIp": sourceIP}}
}

// SignOutEverywhere ends every session of the signed-in customer, the
// current one included, in one write.
func (s *Service) SignOutEverywhere(ctx context.Context, token, sourceIP string) error {
	sess, c, err := s.ownSession(ctx, token)
	if err != nil {
		return err
	}
	return s.update(ctx, c, allowedBy(sess, ""), func(c customer.Customer, now time.Time) (account.Update, error) {
		after := c
		after.SessionsValidFrom, after.KeptSession = now, ""
		after.Recover(now)
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.SignedOut, Changes: map[string]any{"scope": "everywhere"}})
		if err != nil {
			return account.Update{}, err
		}
		drop, err := s.endedPasskeys(ctx, c, "")
		if err != nil {
			return account.Update{}, err
		}
		return account.Update{After: after, Activity: activity(c, customer.ActivitySignedOutEverywhere, now, sourceIP), Events: evs,
			DropPasskeys: drop}, nil
	})
}

// checkNewPassword applies the password policy to a new password.
func (s *Service) checkNewPassword(ctx context.Context, field, pw string) error {
	var f apperr.Fields
	switch {
	case pw == "":
		f.Add(field, "required", "The new password is required.")
	case len(pw) > maxInput:
		f.Add(field, "too_long", "The new password is too long.")
	default:
		s.settings.PasswordPolicy.With(s.breached).Add(ctx, &f, field, pw)
	}
	return f.Err()
}

// ChangePassword replaces the signed-in customer's password after checking
// the current one (a wrong one counts as a failed sign-in), ends every
// other session and mails a notice.
func (s *Service) ChangePassword(ctx context.Context, token, current, next, sourceIP string) error {
	c, g, err := s.withPassword(ctx, token, current, sourceIP, func(customer.Customer) (f apperr.Fields) {
		if current == "" {
			f.Add("currentPassword", "required", "The current password is required.")
		}
		if err := s.checkNewPassword(ctx, "newPassword", next); err != nil {
			f = append(f, apperr.As(err).Fields...)
		}
		return f
	})
	if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Could not change the password.", err)
	}
	return s.update(ctx, c, g, func(c customer.Customer, now time.Time) (account.Update, error) {
		after := c
		after.PasswordHash, after.SessionsValidFrom, after.KeptSession = hash, now, g.session.Digest
		after.Recover(now)
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.PasswordChanged, Changes: map[string]any{"via": "change"}})
		if err != nil {
			return account.Update{}, err
		}
		drop, err := s.endedPasskeys(ctx, c, g.session.Digest)
		if err != nil {
			return account.Update{}, err
		}
		return account.Update{After: after, Activity: activity(c, customer.ActivityPasswordChanged, now, sourceIP),
			Outbox: []outbox.Message{s.mailTo(c, mail.PasswordChangedNotice{At: now})}, Events: evs, DropPasskeys: drop}, nil
	})
}

// own refuses an impersonation session: an administrator acting as the
// customer cannot change the password or the address or delete the
// account, nor end the customer's own sessions.
func own(sess session.Session) error {
	if sess.ImpersonatedBy != "" {
		return apperr.New(apperr.ImpersonationForbidden, "An administrator acting as the customer cannot do this.")
	}
	return nil
}

// by names the administrator of an impersonation on an activity entry.
func by(a *customer.Activity, sess session.Session) *customer.Activity {
	if sess.ImpersonatedBy != "" {
		a.Detail["impersonatedBy"] = sess.ImpersonatedBy
	}
	return a
}
