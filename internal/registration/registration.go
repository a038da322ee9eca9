package registration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/profile"
	"github.com/openreg/registration/internal/vat"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/emailcheck"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

// Pending is a registration under double opt-in or approval, stored until
// the mailer completes it. Its ID is the registrationId the storefront gets
// (GET /v1/registrations/{id} tells it what became of the mail); AccountID
// becomes the new customer's id, so the one never reveals the other.
type Pending struct {
	ID           string
	AccountID    string
	StoreID      string
	Email        string
	EmailKey     string
	Username     string
	UsernameKey  string
	PasswordHash string
	Language     string
	Profile      customer.Profile
	Attributes   map[string]string
	Newsletters  []string
	// Address is the default address the profile fields make (nil when
	// they make none).
	Address          *customer.Address
	Consents         []customer.ConsentRecord // CustomerID empty until completed
	RequiresApproval bool
	ReturnURL        string
	SourceIP         string
	// GuestID is the guest the registration came from; completing it hands
	// the guest's cart to the account.
	GuestID   string
	CreatedAt time.Time
	// ExpiresAt is when the account it becomes expires unless confirmed;
	// the pending registration and its username reservation expire then
	// too.
	ExpiresAt time.Time
	// Outcome is set once completed: what it became and for which
	// customer (the personal data is then removed from it).
	Outcome    Outcome
	CustomerID string
	// JobID is the job that completes it; the mail the completion causes
	// (the link, or the owner's notice) goes out under the same id, so the
	// mailer's ledger says when it went.
	JobID string
}

// accountID is the id of the account the registration creates: ID for a
// registration stored before the two were told apart.
func (p Pending) accountID() string {
	if p.AccountID != "" {
		return p.AccountID
	}
	return p.ID
}

// Submission is what a double opt-in or approval registration writes, in
// one transaction: the pending registration, the job that completes it, the
// username's reservation, the end of the request's session and the client's
// counter.
type Submission struct {
	Pending       Pending
	Job           outbox.Message
	RevokeSession session.Ref
	Limit         *throttle.Counter
}

// Store persists registrations.
type Store interface {
	// CreateAccount writes acc atomically; account.ErrEmailTaken or
	// account.ErrUsernameTaken when a key is in use.
	CreateAccount(ctx context.Context, acc account.Creation) error
	// Submit writes sub atomically; account.ErrUsernameTaken when the username is
	// reserved, by an account or by another pending registration.
	Submit(ctx context.Context, sub Submission) error
	// Subscriptions returns a normalised address's newsletter
	// subscriptions in a store.
	Subscriptions(ctx context.Context, storeID, emailKey string) ([]customer.Subscription, error)
	// What MailStatus reads: the registration, the mailer's ledger (Sent
	// reports whether a message went out), the account and the
	// suppression list.
	PendingRegistration(ctx context.Context, id string) (Pending, error)
	Sent(ctx context.Context, messageID string) (bool, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	Suppressed(ctx context.Context, addressKey string) (bool, error)
}

// Captcha decides whether a request carries a solved CAPTCHA (captcha.Gate).
type Captcha = captcha.Checker

// Sessions is the part of the session manager registration uses.
type Sessions interface {
	New(customerID string, rememberMe bool, client session.Client) (session.Issued, session.Session, error)
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
	// CaptchaToken is the storefront widget's answer, when the store asks
	// for a CAPTCHA.
	CaptchaToken string
	// Language is the customer's language, from Accept-Language.
	Language []string
	// StoreID is the store the request is for (X-Store-Id), or "".
	StoreID string
	// SessionToken is the session the request carried, if any; registering
	// signs that customer out in the same write.
	SessionToken string
	SourceIP     string
	// UserAgent is the request's, shown in the customer's list of sessions
	// (a Standard registration signs in).
	UserAgent string
	// GuestID is the guest the request carried (checkout registration): its
	// cart and affiliate go to the new customer.
	GuestID string
}

// HandOvers prepares the hand-over of a guest to a customer (shopping.Service).
type HandOvers interface {
	HandOver(ctx context.Context, guestID, customerID string) (*cart.HandOver, error)
}

// Outcome is what the storefront should do next, or what a pending
// registration became.
type Outcome string

// Outcomes, as the contract names them, and of completed registrations.
const (
	PendingVerification Outcome = "pending_verification"
	PendingApproval     Outcome = "pending_approval"
	SignedIn            Outcome = "signed_in"

	Created  Outcome = "created"  // a new account
	Replaced Outcome = "replaced" // an unverified account took the new registration
	Notified Outcome = "notified" // the address's verified owner was told
	// Superseded: the address's unverified account holds a registration
	// received later; this one changes nothing.
	Superseded Outcome = "superseded"
)

// Result of a registration.
type Result struct {
	Outcome    Outcome
	CustomerID string // only for SignedIn: the 202 answers reveal nothing
	// RegistrationID names a pending registration (the 202 answers): the
	// storefront asks what became of its mail (MailStatus).
	RegistrationID string
	Redirect       string
	Session        *session.Issued
	// SignedOut is set when the request's session was revoked.
	SignedOut bool
	// HandedOver is set when the request's guest became the customer.
	HandedOver bool
}

// Service registers customers.
type Service struct {
	settings settings.Settings
	store    Store
	sessions Sessions
	hasher   *password.Hasher
	breached *password.Range
	captcha  Captcha
	emails   *emailcheck.Checker
	// handOvers is nil where no guest can come along (unit tests).
	handOvers HandOvers
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
	// Breached is the Pwned Passwords range API where the password policy
	// asks it (password.RangeFor; nil: the bundled list only).
	Breached *password.Range
	// HandOvers, when set, hands a registering guest's cart over.
	HandOvers HandOvers
	// Captcha is the store's CAPTCHA gate (nil: captcha.Off).
	Captcha Captcha
	// EmailChecks apply settings emailChecks (nil: none).
	EmailChecks *emailcheck.Checker
	Random      io.Reader
	Now         func() time.Time
	Log         *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{
		settings: d.Settings, store: d.Store, sessions: d.Sessions, handOvers: d.HandOvers,
		hasher: d.Hasher, breached: d.Breached, captcha: d.Captcha, emails: d.EmailChecks, random: d.Random, now: d.Now, log: d.Log,
	}
	if s.captcha == nil {
		s.captcha = captcha.Off
	}
	return s
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
	c, err := s.validate(ctx, req)
	if err != nil {
		return Result{}, err
	}
	// The email checks and the CAPTCHA provider are asked before any
	// hashing, and only about a form that is otherwise valid.
	if err := s.emails.Refusal(ctx, "email", c.email, s.settings.EmailChecks); err != nil {
		return Result{}, err
	}
	if s.captcha.Required(captcha.Register) {
		if err := s.captcha.Verify(ctx, captcha.Register, req.CaptchaToken, req.SourceIP); err != nil {
			return Result{}, err
		}
	}
	now := s.now().UTC()
	res := Result{Redirect: redirect.Local(req.ReturnURL), SignedOut: req.SessionToken != ""}
	limit := throttle.ClientCap(throttle.ClientRegister, s.settings.ClientLimits.Register, now, req.SourceIP)
	revoke, _ := session.Parse(req.SessionToken)
	// Hashing comes first on every path, so no answer is cheaper than
	// another.
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	id, err := customer.NewID(s.random)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	regID, err := customer.NewID(s.random)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	storeID := req.StoreID
	if storeID == "" {
		storeID = s.settings.DefaultStoreID
	}
	p := Pending{
		ID: regID, AccountID: id, StoreID: storeID, Email: c.email, EmailKey: customer.NormalizeLogin(c.email), Username: c.username,
		PasswordHash: hash, Language: s.settings.Language(req.Language), Profile: c.profile,
		Attributes: c.attributes, Newsletters: c.newsletters, Consents: consentLog("", c, now),
		RequiresApproval: s.settings.RegistrationType == settings.AdminApproval,
		ReturnURL:        storedReturnURL(req.ReturnURL), SourceIP: req.SourceIP, GuestID: req.GuestID, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(s.settings.UnverifiedAccountLifetime)).Truncate(time.Second),
	}
	if c.username != "" {
		p.UsernameKey = customer.NormalizeLogin(c.username)
	}
	if p.Address, err = profile.DefaultAddress(s.settings, c.email, c.profile, now, s.random); err != nil {
		return Result{}, err
	}
	if s.settings.RegistrationType == settings.Standard {
		return s.createActive(ctx, p, session.ClientOf(req.UserAgent, req.SourceIP), revoke, limit, res)
	}
	jobID, err := customer.NewID(s.random)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	p.JobID = jobID
	job := outbox.New(jobID, now, outbox.Recipient{}, CompleteJob{RegistrationID: p.ID, StoreID: storeID})
	err = s.store.Submit(ctx, Submission{Pending: p, Job: job, RevokeSession: revoke, Limit: limit})
	if err != nil {
		return Result{}, refused(err)
	}
	res.Outcome, res.RegistrationID = PendingVerification, p.ID
	if s.settings.RegistrationType == settings.AdminApproval {
		res.Outcome = PendingApproval
	}
	return res, nil
}

// createActive is the Standard registration: the account is active and
// signed in at once, and a taken address is told (the operator chose a
// store without double opt-in, and with it an answer that tells).
func (s *Service) createActive(ctx context.Context, p Pending, client session.Client, revoke session.Ref, limit *throttle.Counter, res Result) (Result, error) {
	cust := p.Customer(customer.Active)
	cust.ExpiresAt = time.Time{}
	acc := account.Creation{Customer: cust, EmailKey: p.EmailKey, UsernameKey: p.UsernameKey, Consents: p.consentsOf(cust.ID),
		RevokeSession: revoke, Limit: limit,
		Activity: customer.Activity{CustomerID: cust.ID, Type: customer.ActivityRegistered, At: p.CreatedAt,
			Detail: map[string]string{"store": p.StoreID, "registrationType": string(settings.Standard), "sourceIp": p.SourceIP}}}
	issued, sess, err := s.sessions.New(cust.ID, false, client)
	if err != nil {
		return Result{}, err
	}
	acc.Session = &sess
	if p.GuestID != "" && s.handOvers != nil {
		if acc.HandOver, err = s.handOvers.HandOver(ctx, p.GuestID, cust.ID); err != nil {
			return Result{}, err
		}
	}
	signedIn := acc.HandOver.Changes()
	signedIn["rememberMe"] = false
	acc.Events, err = event.Of(s.random, cust.ID, cust.StoreID, p.CreatedAt,
		event.Spec{Type: event.Registered, Changes: registeredChanges(cust, settings.Standard)},
		event.Spec{Type: event.Activated, Changes: map[string]any{"status": string(customer.Active)}},
		event.Spec{Type: event.SignedIn, Changes: signedIn})
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	// Standard needs no opt-in: the subscriptions are active at once.
	if len(p.Newsletters) > 0 {
		have, err := s.store.Subscriptions(ctx, p.StoreID, p.EmailKey)
		if err != nil {
			return Result{}, err
		}
		if acc.Subscriptions, err = customer.Subscribe(have, p.StoreID, p.Email, p.Language, p.Newsletters, true, p.CreatedAt, s.random); err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
		}
	}
	welcome, err := mailFor(s.random, p.CreatedAt, outbox.To(cust), mail.WelcomeMail{})
	if err != nil {
		return Result{}, err
	}
	acc.Outbox = append(acc.Outbox, welcome)
	if job, err := vat.StartCheck(s.settings.Vat.EUVat, s.random, p.CreatedAt, &acc.Customer); err != nil {
		return Result{}, err
	} else if job != nil {
		acc.Outbox = append(acc.Outbox, *job)
	}
	if s.settings.NotifyStoreOwner {
		note, err := ownerNotice(s.random, s.settings, cust, p.CreatedAt)
		if err != nil {
			return Result{}, err
		}
		acc.Outbox = append(acc.Outbox, note)
	}
	if err := s.store.CreateAccount(ctx, acc); err != nil {
		if errors.Is(err, cart.ErrHandOverConflict) {
			return Result{}, apperr.New(apperr.Unavailable, "The guest's cart changed meanwhile; try again.")
		}
		if errors.Is(err, account.ErrEmailTaken) {
			return Result{}, apperr.New(apperr.EmailTaken, "An account with this email address exists.")
		}
		return Result{}, refused(err)
	}
	res.Outcome, res.CustomerID, res.Session, res.HandedOver = SignedIn, cust.ID, &issued, acc.HandOver != nil
	return res, nil
}

// refused turns a store's refusal into the client's answer.
func refused(err error) error {
	if errors.Is(err, account.ErrUsernameTaken) {
		return &apperr.Error{Code: apperr.UsernameTaken, Message: "This username is taken.",
			Fields: []apperr.FieldError{{Field: "username", Code: string(apperr.UsernameTaken), Message: "This username is taken."}}}
	}
	return throttle.Refusal(err)
}

// storedReturnURL is the registration's returnUrl as the confirm step will
// honour it: its normalised local path, or "" when there is none to honour
// (then the customer lands on the account page).
func storedReturnURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	if l := redirect.Local(raw); l != "/" || strings.TrimSpace(raw) == "/" {
		return l
	}
	return ""
}

// Customer is the account a pending registration becomes.
func (p Pending) Customer(status customer.Status) customer.Customer {
	c := customer.Customer{
		ID: p.accountID(), StoreID: p.StoreID, Email: p.Email, Username: p.Username, Status: status,
		RequiresApproval: p.RequiresApproval, PasswordHash: p.PasswordHash, Language: p.Language,
		Profile: p.Profile, Attributes: p.Attributes, Newsletters: p.Newsletters,
		CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, ReturnURL: p.ReturnURL,
		ReceivedAt: p.CreatedAt,
	}
	if p.Address != nil {
		c.Addresses = []customer.Address{*p.Address}
		c.BillingAddressID, c.ShippingAddressID = p.Address.ID, p.Address.ID
	}
	return c
}

// consentsOf returns the registration's consent log entries for customer id.
func (p Pending) consentsOf(id string) []customer.ConsentRecord {
	out := make([]customer.ConsentRecord, len(p.Consents))
	for i, c := range p.Consents {
		c.CustomerID = id
		out[i] = c
	}
	return out
}

// registeredChanges is what customer.registered says of a new account:
// never its address, which nobody proved yet (customer.verified carries
// it), so a stranger's registration of someone's address puts it on no
// bus.
func registeredChanges(c customer.Customer, t settings.RegistrationType) map[string]any {
	return map[string]any{"status": string(c.Status), "registrationType": string(t)}
}

func mailFor(random io.Reader, now time.Time, to outbox.Recipient, c outbox.Content) (outbox.Message, error) {
	id, err := customer.NewID(random)
	if err != nil {
		return outbox.Message{}, apperr.Wrap(apperr.Internal, "Could not register.", err)
	}
	return outbox.New(id, now, to, c), nil
}

// ownerNotice is the store owner's "new customer" mail, in the owner's
// language.
func ownerNotice(random io.Reader, s settings.Settings, c customer.Customer, now time.Time) (outbox.Message, error) {
	owner := outbox.Recipient{Email: s.StoreOwnerEmail, Language: s.OwnerLanguage(), StoreID: c.StoreID}
	return mailFor(random, now, owner, mail.NewCustomerNotice{About: mail.Subject{CustomerID: c.ID, Email: c.Email,
		FirstName: c.Profile.FirstName, LastName: c.Profile.LastName, Company: c.Profile.Company,
		RegistrationType: string(s.RegistrationType)}})
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
