package mail

import (
	"errors"
	"fmt"
	"time"
)

// The mails, one content type each. A mail's content says what its
// template shows beyond the recipient.
const (
	// EmailValidation carries the double opt-in link.
	EmailValidation Kind = "email_validation"
	// AccountExists tells the owner of an address that someone tried to
	// register it again; it keeps the 202 answer from revealing accounts.
	AccountExists Kind = "account_exists"
	// Welcome greets a customer whose account became active.
	Welcome Kind = "welcome"
	// StoreOwnerNewCustomer tells the store owner about a registration.
	StoreOwnerNewCustomer Kind = "store_owner_new_customer"
)

// The jobs, one content type each.
const (
	// ResendVerification: a customer asked for a new verification link.
	// The mailer decides whether one is due and then sends an
	// EmailValidation mail.
	ResendVerification Kind = "resend_verification"
	// CompleteRegistration: a registration under double opt-in or approval
	// was stored as pending. The mailer decides what it is: a new account
	// (it gets a link), a replacement of an account that never confirmed
	// its address (the new registration wins, and gets a new link), or an
	// attempt on a verified account (its owner gets an AccountExists
	// notice). The request looked nothing up, so its answer is the same in
	// every case.
	CompleteRegistration Kind = "complete_registration"
	// VerificationLink: a customer whose address is not verified yet signed
	// in with the right password; the mailer mails a fresh link if none
	// went out within the resend interval.
	VerificationLink Kind = "verification_link"
)

// Kinds lists every mail kind; each needs templates in every language.
var Kinds = []Kind{EmailValidation, AccountExists, Welcome, StoreOwnerNewCustomer}

// A mail is content that a template renders. fill adds what the content
// shows to the values the template sees.
type mailContent interface {
	Content
	fill(v map[string]string, lang string)
}

// Validation is the double opt-in mail: the link and when it expires.
type Validation struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Invitation: the account was created for the customer without a
	// password (back office), who chooses one on the confirm page.
	Invitation bool `json:"invitation,omitempty"`
}

// Kind implements Content.
func (Validation) Kind() Kind { return EmailValidation }

func (c Validation) check() error {
	if c.Link == "" {
		return errors.New("needs a link")
	}
	return nil
}

func (c Validation) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
	v["Invitation"], v["Registered"] = "", "yes"
	if c.Invitation {
		v["Invitation"], v["Registered"] = "yes", ""
	}
}

// AccountExistsNotice tells an account's owner that their address was used
// to register again.
type AccountExistsNotice struct{}

// Kind implements Content.
func (AccountExistsNotice) Kind() Kind                     { return AccountExists }
func (AccountExistsNotice) check() error                   { return nil }
func (AccountExistsNotice) fill(map[string]string, string) {}

// WelcomeMail greets a customer whose account became active.
type WelcomeMail struct{}

// Kind implements Content.
func (WelcomeMail) Kind() Kind                     { return Welcome }
func (WelcomeMail) check() error                   { return nil }
func (WelcomeMail) fill(map[string]string, string) {}

// NewCustomerNotice tells the store owner about a registration.
type NewCustomerNotice struct {
	About Subject `json:"about"`
}

// Subject is the customer a notification to someone else is about.
type Subject struct {
	// CustomerID is the customer's id (the notice is kept with them).
	CustomerID       string `json:"customerId,omitempty"`
	Email            string `json:"email"`
	FirstName        string `json:"firstName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	Company          string `json:"company,omitempty"`
	RegistrationType string `json:"registrationType"`
}

// Kind implements Content.
func (NewCustomerNotice) Kind() Kind { return StoreOwnerNewCustomer }

func (c NewCustomerNotice) about() string { return c.About.CustomerID }

func (c NewCustomerNotice) check() error {
	if c.About.Email == "" {
		return errors.New("needs the customer it is about")
	}
	return nil
}

func (c NewCustomerNotice) fill(v map[string]string, _ string) {
	c.About.fill(v)
	v["About.RegistrationType"] = c.About.RegistrationType
}

// fill adds what a notice shows of the customer it is about (the names
// defused: a customer typed them).
func (a Subject) fill(v map[string]string) {
	v["About.Email"], v["About.FirstName"], v["About.LastName"] = a.Email, defuse(a.FirstName), defuse(a.LastName)
	v["About.Company"] = defuse(a.Company)
}

// ResendJob asks for a new verification link for an address, as typed by
// the caller, in the caller's language should the account have none.
type ResendJob struct {
	Email    string `json:"email"`
	Language string `json:"language,omitempty"`
}

// Kind implements Content.
func (ResendJob) Kind() Kind { return ResendVerification }

func (c ResendJob) typedAddress() string { return c.Email }
func (ResendJob) isJob()                 {}

func (c ResendJob) check() error {
	if c.Email == "" {
		return errors.New("needs an address")
	}
	return nil
}

// CompleteRegistrationJob finishes a pending registration.
type CompleteRegistrationJob struct {
	RegistrationID string `json:"registrationId"`
	StoreID        string `json:"storeId,omitempty"`
}

// Kind implements Content.
func (CompleteRegistrationJob) Kind() Kind { return CompleteRegistration }
func (CompleteRegistrationJob) isJob()     {}

func (c CompleteRegistrationJob) check() error {
	if c.RegistrationID == "" {
		return errors.New("needs a registration id")
	}
	return nil
}

// VerificationLinkJob mails a fresh link to an unverified customer who
// signed in with the right password.
type VerificationLinkJob struct {
	CustomerID string `json:"customerId"`
	StoreID    string `json:"storeId,omitempty"`
	// Invitation: mail the invitation wording (no password was set).
	Invitation bool `json:"invitation,omitempty"`
}

// Kind implements Content.
func (VerificationLinkJob) Kind() Kind { return VerificationLink }
func (VerificationLinkJob) isJob()     {}

func (c VerificationLinkJob) check() error {
	if c.CustomerID == "" {
		return errors.New("needs a customer id")
	}
	return nil
}

// My account's mails and jobs.
const (
	// PasswordReset carries the link that lets a customer choose a new
	// password.
	PasswordReset Kind = "password_reset"
	// PasswordChanged tells a customer their password was changed or reset.
	PasswordChanged Kind = "password_changed"
	// EmailChangeConfirm carries, to the new address, the link that
	// confirms an address change.
	EmailChangeConfirm Kind = "email_change_confirm"
	// EmailChangeNotice tells the old address that a change was asked for,
	// naming the new address masked.
	EmailChangeNotice Kind = "email_change_notice"
	// AccountErased confirms an erasure to the address it had.
	AccountErased Kind = "account_erased"
	// EmailChanged tells the old address that the account moved to a new
	// one, naming it masked.
	EmailChanged Kind = "email_changed"

	// PasswordResetRequest: someone asked for a reset link for an address.
	// The mailer looks the address up (so the answer revealed nothing),
	// mints the link and mails it, at most once per interval.
	PasswordResetRequest Kind = "password_reset_request"
	// EmailChangeRequest: a signed-in customer asked to move to a new
	// address; the mailer mints the link and mails it there.
	EmailChangeRequest Kind = "email_change_request"
	// Erasure: an erased customer's remaining items (sessions, activity,
	// mails) are swept from the table.
	Erasure Kind = "erasure"
)

func init() {
	Kinds = append(Kinds, PasswordReset, PasswordChanged, EmailChangeConfirm, EmailChangeNotice, AccountErased, EmailChanged)
	contents[EmailChanged] = decodeAs[EmailChangedNotice]
	contents[PasswordReset] = decodeAs[ResetLink]
	contents[PasswordChanged] = decodeAs[PasswordChangedNotice]
	contents[EmailChangeConfirm] = decodeAs[EmailChangeLink]
	contents[EmailChangeNotice] = decodeAs[EmailChangeWarning]
	contents[AccountErased] = decodeAs[ErasedNotice]
	contents[PasswordResetRequest] = decodeAs[PasswordResetJob]
	contents[EmailChangeRequest] = decodeAs[EmailChangeJob]
	contents[Erasure] = decodeAs[ErasureJob]
}

// ResetLink is the password-reset mail.
type ResetLink struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Kind implements Content.
func (ResetLink) Kind() Kind { return PasswordReset }

func (c ResetLink) check() error {
	if c.Link == "" {
		return errors.New("needs a link")
	}
	return nil
}

func (c ResetLink) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
}

// PasswordChangedNotice tells a customer their password changed at At.
type PasswordChangedNotice struct {
	At time.Time `json:"at"`
}

// Kind implements Content.
func (PasswordChangedNotice) Kind() Kind   { return PasswordChanged }
func (PasswordChangedNotice) check() error { return nil }

func (c PasswordChangedNotice) fill(v map[string]string, lang string) {
	v["ChangedAt"] = formatExpiry(c.At, lang)
}

// EmailChangeLink is the link to the new address.
type EmailChangeLink struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Kind implements Content.
func (EmailChangeLink) Kind() Kind { return EmailChangeConfirm }

func (c EmailChangeLink) check() error {
	if c.Link == "" {
		return errors.New("needs a link")
	}
	return nil
}

func (c EmailChangeLink) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
}

// EmailChangeWarning tells the old address about a requested change;
// MaskedNewEmail shows enough of the new address for the owner to know it
// and no more (customer.MaskEmail).
type EmailChangeWarning struct {
	MaskedNewEmail string `json:"maskedNewEmail"`
}

// Kind implements Content.
func (EmailChangeWarning) Kind() Kind { return EmailChangeNotice }

func (c EmailChangeWarning) check() error {
	if c.MaskedNewEmail == "" {
		return errors.New("needs the masked new address")
	}
	return nil
}

func (c EmailChangeWarning) fill(v map[string]string, _ string) {
	v["NewEmail"] = defuse(c.MaskedNewEmail)
}

// EmailChangedNotice tells the old address that the account now has
// another one, shown masked (customer.MaskEmail).
type EmailChangedNotice struct {
	MaskedNewEmail string `json:"maskedNewEmail"`
}

// Kind implements Content.
func (EmailChangedNotice) Kind() Kind { return EmailChanged }

func (c EmailChangedNotice) check() error {
	if c.MaskedNewEmail == "" {
		return errors.New("needs the masked new address")
	}
	return nil
}

func (c EmailChangedNotice) fill(v map[string]string, _ string) {
	v["NewEmail"] = defuse(c.MaskedNewEmail)
}

// ErasedNotice confirms an erasure.
type ErasedNotice struct{}

// Kind implements Content.
func (ErasedNotice) Kind() Kind                     { return AccountErased }
func (ErasedNotice) check() error                   { return nil }
func (ErasedNotice) fill(map[string]string, string) {}

// PasswordResetJob asks for a reset link for an address, as typed, in the
// caller's language should the account have none.
type PasswordResetJob struct {
	Email    string `json:"email"`
	Language string `json:"language,omitempty"`
}

// Kind implements Content.
func (PasswordResetJob) Kind() Kind { return PasswordResetRequest }

func (c PasswordResetJob) typedAddress() string { return c.Email }
func (PasswordResetJob) isJob()                 {}

func (c PasswordResetJob) check() error {
	if c.Email == "" {
		return errors.New("needs an address")
	}
	return nil
}

// EmailChangeJob mints and mails the link confirming a customer's new
// address.
type EmailChangeJob struct {
	CustomerID string `json:"customerId"`
	NewEmail   string `json:"newEmail"`
}

// Kind implements Content.
func (EmailChangeJob) Kind() Kind { return EmailChangeRequest }
func (EmailChangeJob) isJob()     {}

func (c EmailChangeJob) check() error {
	if c.CustomerID == "" || c.NewEmail == "" {
		return errors.New("needs a customer and the new address")
	}
	return nil
}

// ErasureJob sweeps an erased customer's remaining items.
type ErasureJob struct {
	CustomerID string `json:"customerId"`
	// AddressDigest is customer.AddressDigest of the erased address: the
	// sweep finds the jobs that named it (never the address itself).
	AddressDigest string `json:"addressDigest,omitempty"`
}

// Kind implements Content.
func (ErasureJob) Kind() Kind { return Erasure }
func (ErasureJob) isJob()     {}

func (c ErasureJob) check() error {
	if c.CustomerID == "" {
		return errors.New("needs a customer id")
	}
	return nil
}

// The EU VAT number check.
const (
	// StoreOwnerNewVat tells the store owner about a customer's new VAT
	// number and what VIES said of it.
	StoreOwnerNewVat Kind = "store_owner_new_vat"
	// VatCheckRequest: a customer gave a VAT number; the mailer asks VIES
	// about it (again later while VIES is unavailable) and stores the
	// answer on the customer.
	VatCheckRequest Kind = "vat_check"
)

func init() {
	Kinds = append(Kinds, StoreOwnerNewVat)
	contents[StoreOwnerNewVat] = decodeAs[NewVatNotice]
	contents[VatCheckRequest] = decodeAs[VatCheckJob]
}

// NewVatNotice tells the store owner a customer's VAT number and its
// status (valid, invalid, unknown), with the name and address VIES gave.
type NewVatNotice struct {
	About     Subject `json:"about"`
	VatNumber string  `json:"vatNumber"`
	Status    string  `json:"status"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Kind implements Content.
func (NewVatNotice) Kind() Kind { return StoreOwnerNewVat }

func (c NewVatNotice) about() string { return c.About.CustomerID }

func (c NewVatNotice) check() error {
	if c.About.Email == "" || c.VatNumber == "" || c.Status == "" {
		return errors.New("needs the customer, the number and its status")
	}
	return nil
}

func (c NewVatNotice) fill(v map[string]string, _ string) {
	c.About.fill(v)
	v["VatNumber"], v["Status"] = c.VatNumber, c.Status
	v["Name"], v["Address"] = defuse(c.Name), defuse(c.Address)
}

// VatCheckJob asks VIES about a customer's VAT number.
type VatCheckJob struct {
	CustomerID string `json:"customerId"`
	Number     string `json:"number"`
}

// Kind implements Content.
func (VatCheckJob) Kind() Kind { return VatCheckRequest }

func (c VatCheckJob) about() string { return c.CustomerID }
func (VatCheckJob) isJob()          {}

func (c VatCheckJob) check() error {
	if c.CustomerID == "" || c.Number == "" {
		return errors.New("needs a customer and a number")
	}
	return nil
}

// RetryLater is a job's error when a dependency outside AWS could not
// answer and the job should run again after After (the queue's consumer
// holds the message back that long).
type RetryLater struct {
	After  time.Duration
	Reason string
}

func (e *RetryLater) Error() string {
	return fmt.Sprintf("retry in %s: %s", e.After, e.Reason)
}
