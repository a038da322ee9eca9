package customer

import (
	"errors"
	"strings"
	"time"

	"github.com/openreg/registration/internal/token"
)

// ErrNotFound is returned by stores for a customer, email or username that
// does not exist.
var ErrNotFound = errors.New("customer: not found")

// Status is where an account is in its life.
type Status string

// Account statuses.
const (
	// Unverified accounts have not confirmed their email address yet.
	Unverified Status = "unverified"
	// PendingApproval accounts confirmed their address and wait for an
	// administrator.
	PendingApproval Status = "pending_approval"
	// Active accounts can sign in.
	Active Status = "active"
	// Deactivated accounts were switched off by the store; they sign in like
	// unknown logins do (invalid credentials), which reveals nothing.
	Deactivated Status = "deactivated"
)

// EmailStatus is whether mail to a customer's address arrives.
type EmailStatus string

// The undeliverable statuses, as SES reports them: a hard bounce, or the
// recipient marked a mail as spam.
const (
	EmailBounced    EmailStatus = "bounced"
	EmailComplained EmailStatus = "complained"
)

// EmailDeliverable is how the API names the empty EmailStatus.
const EmailDeliverable EmailStatus = "deliverable"

// Undeliverable reports whether mail to the customer's address stopped.
func (c Customer) Undeliverable() bool { return c.EmailStatus != "" }

// Undeliverable is the back office's list of the accounts whose mail
// stopped, whatever their status; it is no account's Status.
const Undeliverable Status = "undeliverable"

// Customer is a registered customer.
type Customer struct {
	ID       string
	StoreID  string
	Email    string // as entered, trimmed
	Username string // empty when usernames are off
	Status   Status
	// RequiresApproval is set when the account was registered under
	// AdminApproval; confirming the address then leads to PendingApproval.
	RequiresApproval bool
	// ByOperator is set when an operator supplied the account's data (the
	// back office, an import) rather than an anonymous registration: a
	// reset that verifies the account keeps that data (Unproven).
	ByOperator      bool
	EmailVerifiedAt time.Time
	PasswordHash    string
	Language        string
	Profile         Profile
	Attributes      map[string]string
	Newsletters     []string
	// Addresses are the customer's addresses; BillingAddressID and
	// ShippingAddressID name the defaults among them ("" when none).
	Addresses         []Address
	BillingAddressID  string
	ShippingAddressID string
	// Vat is the check of Profile.VatNumber where the store checks EU VAT
	// numbers (nil otherwise).
	Vat       *VatCheck
	CreatedAt time.Time
	UpdatedAt time.Time

	// Link is the one live verification link of an unverified account
	// (nil once verified). VoidedLinks are the digests of the links it
	// replaced, newest last; VerifiedLink is the digest of the link that
	// verified the address. Old links are told apart by these.
	Link         *Link
	VoidedLinks  []string
	VerifiedLink string
	// ExpiresAt is when an unverified account is gone and frees its
	// address and username (zero once verified).
	ExpiresAt time.Time
	// ReturnURL is the local path the registration asked to come back to
	// after confirming.
	ReturnURL string
	// ReceivedAt is when the registration the account holds was received:
	// of two registrations of one unverified address, the one received
	// last wins, whatever order the mailer completes them in.
	ReceivedAt time.Time
	// Registered is the activity entry of the registration that created
	// the account, kept with it (nil until the account is stored).
	Registered *Activity
	// Verification is the activity entry of the confirmation that
	// verified the address, kept with the account too.
	Verification *Activity

	// SessionsValidFrom revokes every session started at or before it,
	// except KeptSession (the digest of the one session a revocation kept:
	// the one that changed the password). One write ends every session.
	SessionsValidFrom time.Time
	KeptSession       string
	// Reset is the live password-reset link (nil when none); a newer one
	// replaces it.
	Reset *Link
	// HasPasskeys: a passkey was added to the account (it may have been
	// removed since): a recovery reads the passkeys only then.
	HasPasskeys bool
	// CodesVoidBefore: every code mailed before it is spent (the address
	// reached its limit of wrong codes; package code).
	CodesVoidBefore time.Time
	// SignInCode is the live passwordless sign-in code (its digest, on
	// the email key: part of the sign-in view only).
	SignInCode *Link
	// EmailChange is an address change waiting for its link (nil when
	// none); the account keeps Email until it is confirmed.
	EmailChange *EmailChange
	// Devices are the devices that signed in to the login a sign-in view
	// was read through, by device id (sign-in views only).
	Devices map[string]Device
	// NoticedAt is when the login last mailed a "new sign-in" notice (the
	// sign-in view's only): at most one a day.
	NoticedAt time.Time
	// EmailStatus is what the mail provider last reported of Email: ""
	// while mail arrives, EmailBounced or EmailComplained once it stopped
	// (mail to it then stops too); a completed address change clears it.
	EmailStatus EmailStatus
	// RecoveredAt is the time of the account's last recovery: a password
	// reset or change, a sign-out everywhere or a completed address
	// change. Each voids what was asked for or issued before it (see
	// Recover).
	RecoveredAt time.Time
}

// Recover is the part of a recovery at now that every recovery shares:
// the pending address change and the reset link are void, and so is
// whatever was asked for before now and is still on its way (an address
// change or reset job the mailer has not run yet: RecoveredSince), so
// nothing an attacker set going before the owner took the account back can
// complete after.
func (c *Customer) Recover(now time.Time) {
	c.EmailChange, c.Reset = nil, nil
	c.RecoveredAt = now.UTC()
}

// Unproven is an unverified account as a reset link verifies it: whoever
// registered anonymously never proved the mailbox, so nothing they typed
// is kept but the address (and the username, the account's other login):
// not the profile, attributes, addresses, newsletter choices, VAT number or
// return path. What an operator supplied stays (ByOperator). The consent
// log and the subscription records the registration wrote are the
// caller's to drop.
func (c Customer) Unproven() Customer {
	if c.ByOperator {
		return c
	}
	c.Profile, c.Attributes, c.Newsletters, c.Vat, c.ReturnURL = Profile{}, nil, nil, nil, ""
	c.Addresses, c.BillingAddressID, c.ShippingAddressID = nil, "", ""
	return c
}

// RecoveredSince reports whether the account was recovered at or after t:
// a job asked for at t is void then.
func (c Customer) RecoveredSince(t time.Time) bool {
	return !c.RecoveredAt.IsZero() && !t.After(c.RecoveredAt)
}

// Device is a device that signed in to a login (internal/device): when its
// token was issued and how many sign-ins from it failed since. The login's
// key keeps a few of them (settings deviceTrust.maxPerLogin).
type Device struct {
	IssuedAt time.Time
	Failures int
}

// EmailChange is a requested change of address: the new address and the
// link mailed to it.
type EmailChange struct {
	NewEmail string
	Link     Link
}

// Deleted is the status of an erased account's tombstone.
const Deleted Status = "deleted"

// MaxVoidedLinks bounds how many replaced links an account remembers.
const MaxVoidedLinks = 10

// Link is a mailed one-time verification link; only its digest is stored.
type Link struct {
	Digest    string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Attempts counts wrong passwords typed with this link.
	Attempts int
	// IssuedBy is the mailer job that minted the link: the resend interval
	// runs from IssuedAt for every other job, and the job's own retry may
	// mail it again.
	IssuedBy string
	// SentTo is the normalised address a password-reset link was mailed
	// to: the link works only while the account still has it.
	SentTo string
	// Code is the keyed digest of the 6-digit code mailed with the link
	// (package code), "" when none was: it dies with the link.
	Code string
}

// CodeLive reports whether l carries a code that still counts at now for
// an account whose codes were voided before voidBefore (too many wrong
// codes for its address).
func (l *Link) CodeLive(now, voidBefore time.Time) bool {
	return l != nil && l.Code != "" && !l.Expired(now) && l.IssuedAt.After(voidBefore)
}

// NewLink returns the stored half of a link issued at now.
func NewLink(digest string, now time.Time, lifetime time.Duration) Link {
	return Link{Digest: digest, IssuedAt: now.UTC(), ExpiresAt: now.Add(lifetime).UTC().Truncate(time.Second)}
}

// A link's token is "<customer id>.<secret>": the id lets the confirm step
// read the account in one lookup, the secret (256 bits) proves the mailbox.
// Only the secret's digest is stored.

// MintLink mints a link for a customer: the token to mail and the stored
// half.
func MintLink(gen *token.Generator, customerID string, now time.Time, lifetime time.Duration) (plain string, l Link, err error) {
	secret, digest, err := gen.New()
	if err != nil {
		return "", Link{}, err
	}
	return customerID + "." + secret, NewLink(digest, now, lifetime), nil
}

// ParseLinkToken splits a link token into the customer id and the secret's
// digest; ok is false for anything MintLink did not make.
func ParseLinkToken(plain string) (customerID, digest string, ok bool) {
	id, secret, found := strings.Cut(plain, ".")
	if !found || !ValidID(id) || !token.WellFormed(secret) {
		return "", "", false
	}
	return id, token.Digest(secret), true
}

// Expired reports whether the link can no longer be used at now.
func (l Link) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// Expired reports whether an unverified account has outlived its time at
// now; the table's TTL removes it later, but it is gone from this moment.
func (c Customer) Expired(now time.Time) bool {
	return c.Status == Unverified && !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// Replaced reports whether digest names a link this account replaced.
func (c Customer) Replaced(digest string) bool {
	for _, d := range c.VoidedLinks {
		if d == digest {
			return true
		}
	}
	return false
}

// WithLink returns the account's link list after issuing l: the live link
// becomes a voided one (the list keeps the newest MaxVoidedLinks).
func (c Customer) WithLink(l Link) (live *Link, voided []string) {
	voided = append([]string(nil), c.VoidedLinks...)
	if c.Link != nil {
		voided = append(voided, c.Link.Digest)
	}
	if len(voided) > MaxVoidedLinks {
		voided = voided[len(voided)-MaxVoidedLinks:]
	}
	return &l, voided
}

// Verified reports whether the address was confirmed (whatever the
// account's state since).
func (c Customer) Verified() bool { return c.Status != Unverified }

// Profile holds the optional profile fields a store can enable.
type Profile struct {
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	Gender         string `json:"gender,omitempty"`
	DateOfBirth    string `json:"dateOfBirth,omitempty"`
	Company        string `json:"company,omitempty"`
	StreetAddress  string `json:"streetAddress,omitempty"`
	StreetAddress2 string `json:"streetAddress2,omitempty"`
	ZipPostalCode  string `json:"zipPostalCode,omitempty"`
	City           string `json:"city,omitempty"`
	County         string `json:"county,omitempty"`
	CountryCode    string `json:"countryCode,omitempty"`
	StateProvince  string `json:"stateProvince,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Fax            string `json:"fax,omitempty"`
	TimeZone       string `json:"timeZone,omitempty"`
	VatNumber      string `json:"vatNumber,omitempty"`
}

// Address is one of a customer's addresses. A registration whose profile
// fields make a complete address stores it as the first one, and as the
// default billing and shipping address.
type Address struct {
	ID             string    `json:"id" dynamodbav:"id"`
	FirstName      string    `json:"firstName,omitempty" dynamodbav:"firstName,omitempty"`
	LastName       string    `json:"lastName,omitempty" dynamodbav:"lastName,omitempty"`
	Email          string    `json:"email,omitempty" dynamodbav:"email,omitempty"`
	Company        string    `json:"company,omitempty" dynamodbav:"company,omitempty"`
	StreetAddress  string    `json:"streetAddress,omitempty" dynamodbav:"streetAddress,omitempty"`
	StreetAddress2 string    `json:"streetAddress2,omitempty" dynamodbav:"streetAddress2,omitempty"`
	ZipPostalCode  string    `json:"zipPostalCode,omitempty" dynamodbav:"zipPostalCode,omitempty"`
	City           string    `json:"city,omitempty" dynamodbav:"city,omitempty"`
	County         string    `json:"county,omitempty" dynamodbav:"county,omitempty"`
	CountryCode    string    `json:"countryCode,omitempty" dynamodbav:"countryCode,omitempty"`
	StateProvince  string    `json:"stateProvince,omitempty" dynamodbav:"stateProvince,omitempty"`
	Phone          string    `json:"phone,omitempty" dynamodbav:"phone,omitempty"`
	Fax            string    `json:"fax,omitempty" dynamodbav:"fax,omitempty"`
	CreatedAt      time.Time `json:"createdAt" dynamodbav:"createdAt"`
}

// AddressOf is the address a profile's fields describe (without an id).
func AddressOf(email string, p Profile, at time.Time) Address {
	return Address{FirstName: p.FirstName, LastName: p.LastName, Email: email, Company: p.Company,
		StreetAddress: p.StreetAddress, StreetAddress2: p.StreetAddress2, ZipPostalCode: p.ZipPostalCode,
		City: p.City, County: p.County, CountryCode: p.CountryCode, StateProvince: p.StateProvince,
		Phone: p.Phone, Fax: p.Fax, CreatedAt: at.UTC()}
}

// ByName returns a pointer to the profile field with the request name, or nil.
func (p *Profile) ByName(name string) *string {
	switch name {
	case "firstName":
		return &p.FirstName
	case "lastName":
		return &p.LastName
	case "gender":
		return &p.Gender
	case "dateOfBirth":
		return &p.DateOfBirth
	case "company":
		return &p.Company
	case "streetAddress":
		return &p.StreetAddress
	case "streetAddress2":
		return &p.StreetAddress2
	case "zipPostalCode":
		return &p.ZipPostalCode
	case "city":
		return &p.City
	case "county":
		return &p.County
	case "countryCode":
		return &p.CountryCode
	case "stateProvince":
		return &p.StateProvince
	case "phone":
		return &p.Phone
	case "fax":
		return &p.Fax
	case "timeZone":
		return &p.TimeZone
	case "vatNumber":
		return &p.VatNumber
	}
	return nil
}

// CanSignIn reports whether the account may hold a session.
func (c Customer) CanSignIn() bool { return c.Status == Active }

// VatStatus is what VIES said of a customer's VAT number.
type VatStatus string

// VAT number statuses.
const (
	// VatUnknown: not checked yet, or VIES could not tell.
	VatUnknown VatStatus = "unknown"
	VatValid   VatStatus = "valid"
	VatInvalid VatStatus = "invalid"
)

// VatCheck is the state of the check of the customer's VAT number: the
// number checked, the status, and the name and address VIES returned.
type VatCheck struct {
	Number  string    `dynamodbav:"number"`
	Status  VatStatus `dynamodbav:"status"`
	Name    string    `dynamodbav:"name,omitempty"`
	Address string    `dynamodbav:"address,omitempty"`
	// CheckedAt is when VIES answered, or when the check gave up (zero
	// while it is under way).
	CheckedAt time.Time `dynamodbav:"checkedAt,omitempty"`
	// Attempts counts the calls VIES could not answer; LastError is the
	// last reason.
	Attempts  int    `dynamodbav:"attempts,omitempty"`
	LastError string `dynamodbav:"lastError,omitempty"`
}

// Done reports whether the check of number is over (valid, invalid, or
// given up).
func (v *VatCheck) Done(number string) bool {
	return v != nil && v.Number == number && !v.CheckedAt.IsZero()
}

// Later is now, or just after prev when the clock has not moved past it:
// every write of an account changes its UpdatedAt.
func Later(now, prev time.Time) time.Time {
	if now.After(prev) {
		return now
	}
	return prev.Add(time.Microsecond)
}
