package account

import (
	"errors"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/throttle"
)

// Creation is everything a registration writes to create an account, in one transaction:
// either all of it exists or none of it does. Uniqueness of the email
// address and username is part of that write, never a read first.
type Creation struct {
	Customer    customer.Customer
	EmailKey    string
	UsernameKey string // empty when usernames are off
	Session     *session.Session
	Consents    []customer.ConsentRecord
	Activity    customer.Activity
	// Outbox holds the mails to send; they are stored with the account so
	// that no committed registration can lose its mail.
	Outbox []outbox.Message
	// Events are the domain events the account's creation publishes.
	Events []event.Event
	// HandOver gives the request's guest cart to the new customer.
	HandOver *cart.HandOver
	// RevokeSession is the session the request carried, if any:
	// registering signs that customer out in the same write.
	RevokeSession session.Ref
	// Limit is the client's registration counter, counted in the same
	// write (nil when off).
	Limit *throttle.Counter
	// Subscriptions are the newsletter subscription records the
	// registration writes (new ones, and inactive ones it reactivates).
	Subscriptions []customer.Subscription
	// ExternalKey ("<store>#<external id>") is claimed by an import's
	// account in the same write: ErrAlreadyImported when an earlier
	// import claimed it.
	ExternalKey string
}

// ErrAlreadyImported is returned by a Store when an account's ExternalKey
// was claimed by an earlier import.
var ErrAlreadyImported = errors.New("account: the external id was imported before")

// Update is one change of an account, written atomically on the condition
// that the account is still Before (its UpdatedAt is unchanged):
//   - After replaces the account; its login keys follow its sign-in view
//     (hash, status, expiry). When After's address differs from Before's,
//     the old address's key is released and the new one claimed, which
//     fails with ErrEmailTaken if another account holds it. When After is
//     Deleted, the login keys are released.
//   - Activity (if set) is stored with the mails in Outbox.
type Update struct {
	Before   customer.Customer
	After    customer.Customer
	Activity *customer.Activity
	Outbox   []outbox.Message
	Events   []event.Event
	// Subscriptions are newsletter subscription records to write, and
	// DropSubscriptions records to remove, in the same write.
	Subscriptions, DropSubscriptions []customer.Subscription
	// DropPasskeys are the ids (passkey.Credential.IDText) of the
	// customer's passkeys to remove in the same write (a recovery removes
	// those the sessions it ended had added).
	DropPasskeys []string
	// DropConsents are consent log entries to remove in the same write.
	DropConsents []customer.ConsentRecord
	// LiftSuppression is an address (normalised) that may be mailed again:
	// a completed address change proved it receives mail.
	LiftSuppression string
	// Session, when set, is the session the change was asked in: the
	// write is also conditional on it still existing, and fails with
	// ErrSessionGone when a sign-out deleted it first.
	Session session.Ref
}

// ErrConflict is returned by a Store when the account changed since it was
// read; the caller reads again.
var ErrConflict = errors.New("account: the account changed")

// ErrSessionGone is returned by a Store when the session of
// Update.Session no longer exists (it was signed out).
var ErrSessionGone = errors.New("account: the session is gone")

// ErrEmailTaken is returned by a Store when an address's login key is held
// by another account: a registration's (Creation) or an address change's
// (Update). ErrUsernameTaken likewise for a username. When both keys are
// taken a registration is told of the username: a username clash must not
// depend on whether the email address is registered, or it would reveal the
// address.
var (
	ErrEmailTaken    = errors.New("account: the address belongs to another account")
	ErrUsernameTaken = errors.New("account: the username belongs to another account")
)

// Records are a customer's logs.
type Records struct {
	Consents []customer.ConsentRecord
	Activity []customer.Activity
	Sessions []session.Session
}

// SignIn is the write that ends a sign-in attempt, in one transaction with
// the throttle counters of its login and client. A failed attempt counts on
// every counter (and is refused, writing nothing, when one is over its
// limit); a successful one checks the counters are under their limits,
// clears the login's, and starts the session.
type SignIn struct {
	Counters []throttle.Counter
	// What a failed attempt leaves besides its counts: an activity entry
	// on a known account, the job that mails an unverified account a fresh
	// link, or, for a login without an account, a record of the attempt
	// under Login (the normalised login). Every failure writes exactly one
	// of them, so unknown logins, wrong passwords and accounts not yet
	// usable write the same number of items.
	Activity *customer.Activity
	Job      *outbox.Message
	Login    string
	At       time.Time
	SourceIP string
	// Success only.
	Session *session.Session
	Events  []event.Event
	// HandOver gives the request's guest cart to the customer (nil: no
	// guest).
	HandOver *cart.HandOver
	// Device, on a success, records a device on the login's key (a new one,
	// evicting Evict, or a trusted one whose failures start afresh);
	// DeviceFailed, on a failure, counts one failure on the record of the
	// device the attempt came from. Neither reads anything.
	Device, DeviceFailed *DeviceRecord
	// Notice, on a success, is the job that mails a "new sign-in" notice
	// (a device the login had not seen); the device's record then notes
	// when (DeviceRecord.Noticed).
	Notice *outbox.Message
	// Passkey, on a success by a passkey, spends its challenge and moves
	// its counter, in the same write; ErrChallengeUsed when the challenge
	// is gone or the credential changed meanwhile.
	Passkey *PasskeyUse
	// Code, on a success by a sign-in code, spends that code (the email
	// key's, with this digest) in the same write; ErrCodeUsed when another
	// sign-in spent it first.
	Code *CodeUse
}

// CodeUse names the sign-in code a sign-in spends: the normalised address
// whose key holds it, and its link digest.
type CodeUse struct {
	EmailKey, Digest string
}

// PasskeyUse is what a passkey sign-in writes: its challenge is deleted
// (it must still exist), and the credential (as verified: counter, backup
// state, last use) replaces the stored one, on the condition that its
// counter is still PreviousCount.
type PasskeyUse struct {
	ChallengeID   string
	Credential    passkey.Credential
	PreviousCount uint32
}

// PasskeyAdd is the write that adds a passkey to a signed-in customer: the
// customer's registration challenge is deleted (it must still exist), the
// credential stored (its id must be new), with the activity entry, the
// notice to the customer and the events, on the condition that the
// session that asked still exists.
type PasskeyAdd struct {
	Credential passkey.Credential
	Activity   customer.Activity
	Notice     outbox.Message
	Events     []event.Event
	Session    session.Ref
}

// Errors of passkey writes.
var (
	// ErrChallengeUsed: the challenge was used, expired away or never
	// existed, or the credential changed since it was read.
	ErrChallengeUsed = errors.New("account: the passkey challenge is gone")
	// ErrPasskeyExists: a credential with this id is stored already.
	ErrPasskeyExists = errors.New("account: the passkey is registered already")
)

// ErrCodeUsed is returned by a Store when the sign-in code of a SignIn was
// spent (or replaced) before it.
var ErrCodeUsed = errors.New("account: the sign-in code was used")

// DeviceRecord is one device of a login (customer.Device) as a sign-in
// writes it: Kind and Key name the login's key ("email" or "username", and
// the normalised login).
type DeviceRecord struct {
	Kind, Key string
	ID        string
	IssuedAt  time.Time
	// Evict is the id of a device to forget (the login's oldest, when it
	// has deviceTrust.maxPerLogin already).
	Evict string
	// Noticed: the sign-in mails a "new sign-in" notice; the key notes
	// when (customer.Customer.NoticedAt).
	Noticed bool
}
