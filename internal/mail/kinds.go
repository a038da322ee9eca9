package mail

import (
	"errors"
	"time"

	"github.com/openreg/registration/internal/outbox"
)

// The mails, one content type each. A mail's content says what its
// template shows beyond the recipient.
const (
	// EmailValidation carries the double opt-in link.
	EmailValidation outbox.Kind = "email_validation"
	// AccountExists tells the owner of an address that someone tried to
	// register it again; it keeps the 202 answer from revealing accounts.
	AccountExists outbox.Kind = "account_exists"
	// Welcome greets a customer whose account became active.
	Welcome outbox.Kind = "welcome"
	// StoreOwnerNewCustomer tells the store owner about a registration.
	StoreOwnerNewCustomer outbox.Kind = "store_owner_new_customer"
)

// A mail is content that a template renders. fill adds what the content
// shows to the values the template sees.
type mailContent interface {
	outbox.Content
	fill(v map[string]string, lang string)
}

// mails lists every mail, as its zero value; each needs templates in every
// language.
var mails = []mailContent{
	Validation{}, AccountExistsNotice{}, WelcomeMail{}, NewCustomerNotice{},
	ResetLink{}, PasswordChangedNotice{}, EmailChangeLink{}, EmailChangeWarning{}, EmailChangedNotice{}, ErasedNotice{},
	NewVatNotice{},
	SignInCodeMail{}, NewSignInNotice{}, PasskeyAddedNotice{},
}

// Kinds lists every mail's kind.
func Kinds() []outbox.Kind {
	out := make([]outbox.Kind, len(mails))
	for i, m := range mails {
		out[i] = m.Kind()
	}
	return out
}

// Register tells r every mail's kind and content type.
func Register(r *outbox.Registry) {
	for _, m := range mails {
		r.Mail(m)
	}
}

// Validation is the double opt-in mail: the link and when it expires.
type Validation struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Invitation: the account was created for the customer without a
	// password (back office), who chooses one on the confirm page.
	Invitation bool `json:"invitation,omitempty"`
	// Code is the 6-digit code that does what the link does, for a
	// customer on another device or in an app; it dies with the link.
	// Empty leaves the code out of the mail (at most 5 codes a day are
	// mailed to one address). A secret, never shown in the subject.
	Code string `json:"code,omitempty"`
}

// Kind implements outbox.Content.
func (Validation) Kind() outbox.Kind { return EmailValidation }
func (c Validation) Check() error {
	return errors.Join(outbox.Need("a link", c.Link), checkCode(c.Code))
}

func (c Validation) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
	v["Code"] = groupCode(c.Code)
	v["Invitation"], v["Registered"] = "", "yes"
	if c.Invitation {
		v["Invitation"], v["Registered"] = "yes", ""
	}
}

// AccountExistsNotice tells an account's owner that their address was used
// to register again.
type AccountExistsNotice struct{}

// Kind implements outbox.Content.
func (AccountExistsNotice) Kind() outbox.Kind              { return AccountExists }
func (AccountExistsNotice) Check() error                   { return nil }
func (AccountExistsNotice) fill(map[string]string, string) {}

// WelcomeMail greets a customer whose account became active.
type WelcomeMail struct{}

// Kind implements outbox.Content.
func (WelcomeMail) Kind() outbox.Kind              { return Welcome }
func (WelcomeMail) Check() error                   { return nil }
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

// Kind implements outbox.Content.
func (NewCustomerNotice) Kind() outbox.Kind { return StoreOwnerNewCustomer }

// Concerns implements outbox.Concerning.
func (c NewCustomerNotice) Concerns() string { return c.About.CustomerID }

func (c NewCustomerNotice) Check() error {
	return outbox.Need("the customer it is about", c.About.Email)
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

// My account's mails.
const (
	// PasswordReset carries the link that lets a customer choose a new
	// password.
	PasswordReset outbox.Kind = "password_reset"
	// PasswordChanged tells a customer their password was changed or reset.
	PasswordChanged outbox.Kind = "password_changed"
	// EmailChangeConfirm carries, to the new address, the link that
	// confirms an address change.
	EmailChangeConfirm outbox.Kind = "email_change_confirm"
	// EmailChangeNotice tells the old address that a change was asked for,
	// naming the new address masked.
	EmailChangeNotice outbox.Kind = "email_change_notice"
	// AccountErased confirms an erasure to the address it had.
	AccountErased outbox.Kind = "account_erased"
	// EmailChanged tells the old address that the account moved to a new
	// one, naming it masked.
	EmailChanged outbox.Kind = "email_changed"
)

// ResetLink is the password-reset mail.
type ResetLink struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Code is the 6-digit code that does what the link does (see
	// Validation.Code); empty leaves it out.
	Code string `json:"code,omitempty"`
}

// Kind implements outbox.Content.
func (ResetLink) Kind() outbox.Kind { return PasswordReset }
func (c ResetLink) Check() error {
	return errors.Join(outbox.Need("a link", c.Link), checkCode(c.Code))
}

func (c ResetLink) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
	v["Code"] = groupCode(c.Code)
}

// PasswordChangedNotice tells a customer their password changed at At.
type PasswordChangedNotice struct {
	At time.Time `json:"at"`
}

// Kind implements outbox.Content.
func (PasswordChangedNotice) Kind() outbox.Kind { return PasswordChanged }
func (PasswordChangedNotice) Check() error      { return nil }

func (c PasswordChangedNotice) fill(v map[string]string, lang string) {
	v["ChangedAt"] = formatExpiry(c.At, lang)
}

// EmailChangeLink is the link to the new address.
type EmailChangeLink struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Kind implements outbox.Content.
func (EmailChangeLink) Kind() outbox.Kind { return EmailChangeConfirm }
func (c EmailChangeLink) Check() error    { return outbox.Need("a link", c.Link) }

func (c EmailChangeLink) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
}

// EmailChangeWarning tells the old address about a requested change;
// MaskedNewEmail shows enough of the new address for the owner to know it
// and no more (customer.MaskEmail).
type EmailChangeWarning struct {
	MaskedNewEmail string `json:"maskedNewEmail"`
}

// Kind implements outbox.Content.
func (EmailChangeWarning) Kind() outbox.Kind { return EmailChangeNotice }
func (c EmailChangeWarning) Check() error {
	return outbox.Need("the masked new address", c.MaskedNewEmail)
}

func (c EmailChangeWarning) fill(v map[string]string, _ string) {
	v["NewEmail"] = defuse(c.MaskedNewEmail)
}

// EmailChangedNotice tells the old address that the account now has
// another one, shown masked (customer.MaskEmail).
type EmailChangedNotice struct {
	MaskedNewEmail string `json:"maskedNewEmail"`
}

// Kind implements outbox.Content.
func (EmailChangedNotice) Kind() outbox.Kind { return EmailChanged }
func (c EmailChangedNotice) Check() error {
	return outbox.Need("the masked new address", c.MaskedNewEmail)
}

func (c EmailChangedNotice) fill(v map[string]string, _ string) {
	v["NewEmail"] = defuse(c.MaskedNewEmail)
}

// ErasedNotice confirms an erasure.
type ErasedNotice struct{}

// Kind implements outbox.Content.
func (ErasedNotice) Kind() outbox.Kind              { return AccountErased }
func (ErasedNotice) Check() error                   { return nil }
func (ErasedNotice) fill(map[string]string, string) {}

// The EU VAT number check.
const (
	// StoreOwnerNewVat tells the store owner about a customer's new VAT
	// number and what VIES said of it.
	StoreOwnerNewVat outbox.Kind = "store_owner_new_vat"
)

// NewVatNotice tells the store owner a customer's VAT number and its
// status (valid, invalid, unknown), with the name and address VIES gave.
type NewVatNotice struct {
	About     Subject `json:"about"`
	VatNumber string  `json:"vatNumber"`
	Status    string  `json:"status"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Kind implements outbox.Content.
func (NewVatNotice) Kind() outbox.Kind { return StoreOwnerNewVat }

// Concerns implements outbox.Concerning.
func (c NewVatNotice) Concerns() string { return c.About.CustomerID }

func (c NewVatNotice) Check() error {
	return outbox.Need("the customer, the number and its status", c.About.Email, c.VatNumber, c.Status)
}

func (c NewVatNotice) fill(v map[string]string, _ string) {
	c.About.fill(v)
	v["VatNumber"], v["Status"] = c.VatNumber, c.Status
	v["Name"], v["Address"] = defuse(c.Name), defuse(c.Address)
}

// Codes, passwordless sign-in and passkeys.
const (
	// SignInCode carries the 6-digit code of a passwordless sign-in.
	SignInCode outbox.Kind = "sign_in_code"
	// NewSignIn tells a customer that a device never seen for the account
	// signed in.
	NewSignIn outbox.Kind = "new_sign_in"
	// PasskeyAdded tells a customer that a passkey was added to the
	// account.
	PasskeyAdded outbox.Kind = "passkey_added"
)

// SignInCodeMail is the passwordless sign-in mail: the code and when it
// expires. The code is a secret: the templates show it in the body only,
// never in the subject (mail clients show subjects on lock screens).
type SignInCodeMail struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Kind implements outbox.Content.
func (SignInCodeMail) Kind() outbox.Kind { return SignInCode }
func (c SignInCodeMail) Check() error {
	return errors.Join(outbox.Need("a code", c.Code), checkCode(c.Code))
}

func (c SignInCodeMail) fill(v map[string]string, lang string) {
	v["Code"], v["ExpiresAt"] = groupCode(c.Code), formatExpiry(c.ExpiresAt, lang)
}

// NewSignInNotice tells a customer that a device never seen for the
// account signed in at At, with the user agent and the client address of
// that sign-in (both as the client sent them, so defused).
type NewSignInNotice struct {
	At        time.Time `json:"at"`
	UserAgent string    `json:"userAgent,omitempty"`
	Address   string    `json:"address,omitempty"`
}

// Kind implements outbox.Content.
func (NewSignInNotice) Kind() outbox.Kind { return NewSignIn }
func (NewSignInNotice) Check() error      { return nil }

func (c NewSignInNotice) fill(v map[string]string, lang string) {
	v["At"] = formatExpiry(c.At, lang)
	v["UserAgent"], v["Address"] = defuse(c.UserAgent), defuse(c.Address)
}

// PasskeyAddedNotice tells a customer that a passkey named Name (as the
// client gave it, so defused) was added to the account at At.
type PasskeyAddedNotice struct {
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
}

// Kind implements outbox.Content.
func (PasskeyAddedNotice) Kind() outbox.Kind { return PasskeyAdded }
func (PasskeyAddedNotice) Check() error      { return nil }

func (c PasskeyAddedNotice) fill(v map[string]string, lang string) {
	v["At"], v["Name"] = formatExpiry(c.At, lang), defuse(c.Name)
}

// codeLength is the number of digits of a mailed code.
const codeLength = 6

// checkCode refuses a code that is neither empty nor 6 digits.
func checkCode(code string) error {
	if code == "" {
		return nil
	}
	if len(code) != codeLength {
		return errors.New("a code has 6 digits")
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return errors.New("a code has 6 digits")
		}
	}
	return nil
}

// groupCode writes a 6-digit code as two groups of three ("123 456"), for
// reading it off one screen and typing it into another.
func groupCode(code string) string {
	if checkCode(code) != nil || code == "" {
		return code
	}
	return code[:3] + " " + code[3:]
}
