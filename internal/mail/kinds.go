package mail

import (
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
}

// Kind implements outbox.Content.
func (Validation) Kind() outbox.Kind { return EmailValidation }
func (c Validation) Check() error    { return outbox.Need("a link", c.Link) }

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
}

// Kind implements outbox.Content.
func (ResetLink) Kind() outbox.Kind { return PasswordReset }
func (c ResetLink) Check() error    { return outbox.Need("a link", c.Link) }

func (c ResetLink) fill(v map[string]string, lang string) {
	v["Link"], v["ExpiresAt"] = c.Link, formatExpiry(c.ExpiresAt, lang)
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
