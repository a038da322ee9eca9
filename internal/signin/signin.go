package signin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/device"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/token"
)

// ErrNotFound is returned by a Store for an unknown login or customer.
var ErrNotFound = customer.ErrNotFound

// HandOvers prepares the hand-over of a guest to a customer (shopping.Service).
type HandOvers interface {
	HandOver(ctx context.Context, guestID, customerID string) (*cart.HandOver, error)
}

// Store is what sign-in reads and writes.
type Store interface {
	// Login returns the sign-in view (ID, PasswordHash, Status, StoreID,
	// Language, ExpiresAt) of the customer holding a normalised email (kind
	// "email") or username (kind "username"), in one read, or ErrNotFound.
	Login(ctx context.Context, kind, key string) (customer.Customer, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// SignInFailed counts a failed attempt; *throttle.Exceeded when a
	// counter is over its limit (nothing is written then).
	SignInFailed(ctx context.Context, a account.SignIn) error
	// SignInSucceeded clears the login's counters and stores the session
	// and the activity entry; *throttle.Exceeded when a counter is over its
	// limit (nothing is written then).
	SignInSucceeded(ctx context.Context, a account.SignIn) error
	// Failures returns how many events counter c holds in its window.
	Failures(ctx context.Context, c throttle.Counter) (int, error)
	// UpdatePasswordHash replaces c's hash with new if it is still
	// c.PasswordHash, and stores a, in one write.
	UpdatePasswordHash(ctx context.Context, c customer.Customer, new string, a customer.Activity) error
	// Enqueue stores a job (a sign-in code request), counted on limit
	// (nil: none); *throttle.Exceeded when over it.
	Enqueue(ctx context.Context, job outbox.Message, limit *throttle.Counter) error
	code.GuardStore
	PasskeyStore
}

// Sessions is the part of the session manager sign-in uses.
type Sessions interface {
	New(customerID string, rememberMe bool, client session.Client) (session.Issued, session.Session, error)
	Authenticate(ctx context.Context, plain string) (session.Session, customer.Customer, error)
	End(ctx context.Context, plain string, a customer.Activity, events ...event.Event) error
}

// Captcha decides whether a request carries a solved CAPTCHA (captcha.Gate).
type Captcha = captcha.Checker

// Service signs customers in.
type Service struct {
	settings settings.Settings
	store    Store
	sessions Sessions
	hasher   *password.Hasher
	captcha  Captcha
	// handOvers is nil where no guest can come along (unit tests).
	handOvers HandOvers
	devices   *device.Keyring
	codes     *code.Hasher
	guard     *code.Guard
	passkeys  *passkey.Ceremonies
	random    io.Reader
	now       func() time.Time
	log       *slog.Logger
}

// Deps are the collaborators of a Service.
type Deps struct {
	Settings settings.Settings
	Store    Store
	Sessions Sessions
	Hasher   *password.Hasher
	// HandOvers, when set, hands a signing-in guest's cart over.
	HandOvers HandOvers
	// Captcha is the store's CAPTCHA gate (nil: captcha.Off): where it
	// applies to sign-in, a login past its perLogin limit asks for one
	// instead of slowing down.
	Captcha Captcha
	// Devices signs and checks device tokens (nil: no device is trusted).
	Devices *device.Keyring
	// Passkeys runs the WebAuthn ceremonies (nil: no passkey signs in).
	Passkeys *passkey.Ceremonies
	// Codes checks sign-in codes, Guard bounds their guessing (nil Codes:
	// no code signs in).
	Codes  *code.Hasher
	Guard  *code.Guard
	Random io.Reader
	Now    func() time.Time
	Log    *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{settings: d.Settings, store: d.Store, sessions: d.Sessions, hasher: d.Hasher,
		captcha: d.Captcha, handOvers: d.HandOvers, devices: d.Devices, codes: d.Codes, guard: d.Guard, passkeys: d.Passkeys, random: d.Random, now: d.Now, log: d.Log}
	if s.captcha == nil {
		s.captcha = captcha.Off
	}
	return s
}

// Request is a sign-in attempt.
type Request struct {
	Login    string
	Password string
	// Code is a sign-in code mailed to the login (an email address), in
	// place of the password.
	Code       string
	StoreID    string
	RememberMe bool
	ReturnURL  string
	SourceIP   string
	// UserAgent is the request's, shown in the customer's list of sessions.
	UserAgent string
	// GuestID is the guest the request carried, if any: its cart goes to
	// the customer.
	GuestID string
	// CaptchaToken is the storefront widget's answer, asked for once the
	// login failed past its perLogin limit (where the store has a CAPTCHA
	// for sign-in).
	CaptchaToken string
	// DeviceToken is the device's token from an earlier sign-in (the
	// cr_device cookie or X-Device-Token), "" when none.
	DeviceToken string
}

// Result of a successful sign-in.
type Result struct {
	CustomerID string
	Redirect   string
	Session    session.Issued
	// HandedOver reports that the request's guest became the customer.
	HandedOver bool
	// Device is the device's new token, when the sign-in issued one (nil
	// when the device's token was trusted already, or devices are off).
	Device *IssuedDevice
}

// IssuedDevice is a device token for the client and when it stops counting.
type IssuedDevice struct {
	Token     string
	ExpiresAt time.Time
}

// maxInput bounds what is hashed: a megabyte "password" must not buy an
// attacker a megabyte of argon2 work.
const maxInput = 1024

// SignIn checks the credentials and starts a session. Every attempt takes
// the same path whatever the login is: one read (the login's key, which
// carries its account's sign-in view), one argon2id verification (against a
// dummy hash when there is no account), and one write that counts it or
// starts the session. An
// account that cannot sign in (unverified, waiting for approval,
// deactivated) answers a right password exactly like a wrong one, unless
// the store opted into revealAccountState.
func (s *Service) SignIn(ctx context.Context, req Request) (Result, error) {
	var f apperr.Fields
	login := strings.TrimSpace(req.Login)
	if login == "" {
		f.Add("login", "required", "Login is required.")
	} else if len(login) > maxInput || customer.HasControl(login) {
		f.Add("login", "invalid_login", "Login is not valid.")
	}
	switch {
	case req.Password != "" && req.Code != "":
		f.Add("code", "not_both", "Send a password or a code, not both.")
	case req.Password == "" && req.Code == "":
		f.Add("password", "required", "Password is required.")
	case len(req.Password) > maxInput || len(req.Code) > maxInput:
		f.Add("password", "too_long", "Password is too long.")
	}
	captcha.CheckToken(&f, false, req.CaptchaToken) // asked for later, once the login is under attack
	if err := f.Err(); err != nil {
		return Result{}, err
	}

	key := customer.NormalizeLogin(login)
	kind := "email"
	if s.settings.UsernamesEnabled && !strings.Contains(key, "@") {
		kind = "username"
	}
	now := s.now().UTC()
	cust, err := s.store.Login(ctx, kind, key)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Result{}, err
	}
	if found && cust.Expired(now) {
		found = false
	}
	attempt := account.SignIn{Counters: s.counters(kind, key, cust, found, req.SourceIP, now), At: now, SourceIP: req.SourceIP}
	keys, dev := s.deviceOf(ctx, kind, key, req.DeviceToken)
	trusted := found && dev != nil && s.trusts(cust, *dev, now)
	if trusted {
		// The owner's device: past the per-login gate (and its CAPTCHA);
		// the per-client counters still apply, and the device's own.
		attempt.Counters = slices.DeleteFunc(attempt.Counters, func(c throttle.Counter) bool { return c.Kind == throttle.SignInLogin })
		attempt.Counters = append(attempt.Counters, s.deviceCounter(*dev, now))
	} else if err := s.askHuman(ctx, attempt.Counters, req); err != nil {
		return Result{}, err
	}

	// One check, whatever the login is: an unknown login and an account
	// without a password check the dummy, and every check takes at least
	// the hasher's floor (password.Hasher.Check).
	var right bool
	var codeUse *account.CodeUse
	var codeErr error
	if req.Code != "" {
		// A mailed code in place of the password (signIn.emailCodes).
		if s.guard != nil {
			attempt.Counters = append(attempt.Counters, s.guard.Counters(req.StoreID, req.SourceIP)...)
		}
		codeUse, codeErr = s.codeSignIn(ctx, kind, key, cust, found, req)
		if codeErr != nil && apperr.CodeOf(codeErr) != apperr.CodeInvalid {
			return Result{}, codeErr
		}
		right = codeErr == nil
	} else {
		hash := ""
		if found {
			hash = cust.PasswordHash
		}
		var rehash bool
		right, rehash, err = s.hasher.Check(req.Password, hash)
		if err != nil {
			s.log.ErrorContext(ctx, "stored password hash unreadable; answered as a wrong password", "customerId", cust.ID, "error", err)
		}
		if right && rehash && cust.CanSignIn() {
			defer s.upgradeHash(ctx, cust, req.Password)
		}
	}

	if right && cust.CanSignIn() {
		client := session.ClientOf(req.UserAgent, req.SourceIP)
		issued, sess, err := s.sessions.New(cust.ID, req.RememberMe, client)
		if err != nil {
			return Result{}, err
		}
		attempt.Session = &sess
		newDevice, err := s.recordDevice(&attempt, keys, kind, key, cust, dev, trusted, now, client)
		if err != nil {
			return Result{}, err
		}
		attempt.Activity = &customer.Activity{CustomerID: cust.ID, Type: customer.ActivitySignedIn, At: now,
			Detail: map[string]string{"sourceIp": req.SourceIP}}
		if attempt.Code = codeUse; codeUse != nil {
			attempt.Activity.Detail["method"] = "code"
		}
		// The guest's cart is handed over exactly once: a sign-in that
		// loses a race for the guest (or finds the cart changed) reads
		// again and finds the guest retired.
		for try := 0; ; try++ {
			if attempt.HandOver, err = s.handOver(ctx, req.GuestID, cust.ID); err != nil {
				return Result{}, err
			}
			changes := attempt.HandOver.Changes()
			changes["rememberMe"] = req.RememberMe
			if attempt.Events, err = event.Of(s.random, cust.ID, cust.StoreID, now, event.Spec{Type: event.SignedIn, Changes: changes}); err != nil {
				return Result{}, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
			}
			err = s.store.SignInSucceeded(ctx, attempt)
			if !errors.Is(err, cart.ErrHandOverConflict) || try == 2 {
				break
			}
		}
		if errors.Is(err, cart.ErrHandOverConflict) {
			return Result{}, apperr.New(apperr.Unavailable, "The cart kept changing; try again.")
		}
		if errors.Is(err, account.ErrCodeUsed) {
			return Result{}, code.Invalid() // another sign-in spent the code first
		}
		if err != nil {
			s.guard.Note(ctx, req.StoreID, err)
			return Result{}, s.refused(err)
		}
		return Result{CustomerID: cust.ID, Redirect: redirect.Local(req.ReturnURL), Session: issued,
			HandedOver: attempt.HandOver != nil, Device: newDevice}, nil
	}

	switch {
	case right && req.Code == "" && cust.Status == customer.Unverified:
		// The mailbox owner may have lost the link: mail a fresh one (the
		// mailer holds it to one per resend interval).
		id, err := customer.NewID(s.random)
		if err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
		}
		job := outbox.New(id, now, outbox.Recipient{}, account.VerificationLinkJob{CustomerID: cust.ID, StoreID: cust.StoreID})
		attempt.Job = &job
	case found:
		attempt.Activity = &customer.Activity{CustomerID: cust.ID, Type: customer.ActivitySignInFailed, At: now,
			Detail: map[string]string{"sourceIp": req.SourceIP}}
	default:
		attempt.Login = kind + ":" + key
	}
	if _, known := cust.Devices[deviceID(dev)]; found && known {
		// A device that fails often enough is trusted no more.
		attempt.DeviceFailed = &account.DeviceRecord{Kind: kind, Key: key, ID: dev.ID}
	}
	if err := s.store.SignInFailed(ctx, attempt); err != nil {
		s.guard.Note(ctx, req.StoreID, err)
		return Result{}, s.refused(err)
	}
	if codeErr != nil {
		return Result{}, codeErr
	}
	if right && s.settings.RevealAccountState {
		switch cust.Status {
		case customer.Unverified:
			return Result{}, apperr.New(apperr.EmailNotVerified, "Confirm your email address first; we sent you a link.")
		case customer.PendingApproval:
			return Result{}, apperr.New(apperr.PendingApproval, "Your account is waiting for approval.")
		}
	}
	return Result{}, invalidCredentials()
}

// askHuman is the CAPTCHA of a login under attack: where the store has one
// for sign-in, a login whose failures from all clients passed perLogin asks
// each attempt for a solved CAPTCHA, before any hashing. An attempt that
// brings one is let through, and counted, without the slowdown (a person
// proved it); one that does not is 400 captcha_required.
func (s *Service) askHuman(ctx context.Context, counters []throttle.Counter, req Request) error {
	if !s.captcha.Required(captcha.SignIn) {
		return nil
	}
	for i, c := range counters {
		if c.Kind != throttle.SignInLogin {
			continue
		}
		n, err := s.store.Failures(ctx, c)
		if err != nil {
			return err
		}
		if n < c.Max {
			return nil
		}
		if err := s.captcha.Verify(ctx, captcha.SignIn, req.CaptchaToken, req.SourceIP); err != nil {
			return err
		}
		counters[i].Gate, counters[i].Max = 0, math.MaxInt32
	}
	return nil
}

// accountSubject is the throttle subject of an account's failed sign-ins.
// It names the password as well as the account (by a digest of its hash),
// so a new password (reset or changed) starts the account's counters
// afresh: what was guessed against the old one no longer counts.
func accountSubject(c customer.Customer) string {
	return "customer:" + c.ID + ":" + token.Digest(c.PasswordHash)[:16]
}

// CheckPassword checks the password of a signed-in customer before a
// change that needs it (a new password or address, erasure) under the
// sign-in throttle: a wrong one is a failed sign-in (counted, logged,
// 401 invalid_credentials, then 429), and a client locked out of the
// account is refused even with the right one, so the check is no way
// around the lockout.
func (s *Service) CheckPassword(ctx context.Context, c customer.Customer, pw, sourceIP string) error {
	if pw == "" || len(pw) > maxInput {
		return invalidCredentials()
	}
	now := s.now().UTC()
	subject := accountSubject(c)
	attempt := account.SignIn{Counters: s.accountCounters(subject, subject, sourceIP, now), At: now, SourceIP: sourceIP}
	ok, _, err := s.hasher.Check(pw, c.PasswordHash)
	if err != nil {
		s.log.ErrorContext(ctx, "stored password hash unreadable; answered as a wrong password", "customerId", c.ID, "error", err)
	}
	if ok {
		return s.refused(s.store.SignInSucceeded(ctx, attempt))
	}
	attempt.Activity = &customer.Activity{CustomerID: c.ID, Type: customer.ActivitySignInFailed, At: now,
		Detail: map[string]string{"sourceIp": sourceIP}}
	if err := s.store.SignInFailed(ctx, attempt); err != nil {
		return s.refused(err)
	}
	return invalidCredentials()
}

// handOver prepares the hand-over of the request's guest, if any.
func (s *Service) handOver(ctx context.Context, guestID, customerID string) (*cart.HandOver, error) {
	if guestID == "" || s.handOvers == nil {
		return nil, nil
	}
	return s.handOvers.HandOver(ctx, guestID, customerID)
}

// counters are the throttle counters of a sign-in attempt on the login as
// typed (key, its normalised form, of kind email or username) from client.
// The per-login-and-client counter is the login text's (and, once found,
// its account's password's, so a new password starts it afresh): an
// account's email address and username never share it, so exhausting it
// through one tells nothing about the other. The per-login counter is the
// account's once it is found (its address and username share one budget
// across clients), else the login text's.
func (s *Service) counters(kind, key string, cust customer.Customer, found bool, client string, now time.Time) []throttle.Counter {
	text := "login:" + kind + ":" + key
	pair, subject := text, text
	if found {
		subject = accountSubject(cust)
		pair = text + ":" + token.Digest(cust.PasswordHash)[:16]
	}
	return s.accountCounters(pair, subject, client, now)
}

// accountCounters are the counters of an attempt whose per-login-and-client
// counter is pair's and per-login counter subject's, from client.
func (s *Service) accountCounters(pair, subject, client string, now time.Time) []throttle.Counter {
	t := s.settings.SignInThrottle
	client = throttle.ClientOf(client)
	var out []throttle.Counter
	add := func(c throttle.Counter, on bool) {
		if on {
			out = append(out, c)
		}
	}
	add(throttle.NewCounter(throttle.SignInLoginClient, t.PerLoginAndClient, now, pair, client))
	add(throttle.NewCounter(throttle.SignInClient, t.PerClient, now, client))
	if c, on := throttle.NewCounter(throttle.SignInLogin, t.PerLogin, now, subject); on {
		c.Gate = time.Duration(t.Slowdown)
		out = append(out, c)
	}
	add(throttle.NewCounter(throttle.ClientSignIn, s.settings.ClientLimits.SignIn, now, client))
	return out
}

// refused answers a counter over its limit: the login is locked for this
// client, or the client (or the login, across clients) must slow down.
func (s *Service) refused(err error) error {
	var ex *throttle.Exceeded
	if !errors.As(err, &ex) {
		return err
	}
	if ex.Counter.Kind == throttle.SignInLoginClient {
		return lockedOut(ex.RetryAfter())
	}
	if ex.Counter.Kind == throttle.SignInLogin && s.captcha.Required(captcha.SignIn) {
		return captcha.Missing() // the login came under attack meanwhile
	}
	return &apperr.Error{Code: apperr.TooManyRequests, Message: "Too many sign-in attempts; try again later.", RetryAfter: ex.RetryAfter()}
}

// upgradeHash replaces a hash made with older parameters, on the account
// and its login keys (so it reads the whole account first: this runs only
// after the parameters changed, once per account). It is best effort: the
// sign-in already succeeded, and the next one tries again.
func (s *Service) upgradeHash(ctx context.Context, view customer.Customer, pw string) {
	fresh, err := s.hasher.Hash(pw)
	var c customer.Customer
	if err == nil {
		c, err = s.store.Customer(ctx, view.ID)
	}
	if err == nil && c.PasswordHash != view.PasswordHash {
		return // the password changed since it was checked: keep the new one
	}
	if err == nil {
		err = s.store.UpdatePasswordHash(ctx, c, fresh,
			customer.Activity{CustomerID: c.ID, Type: customer.ActivityPasswordRehash, At: s.now().UTC()})
	}
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", "customerId", view.ID, "error", err)
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
