package myaccount

import (
	"github.com/openreg/registration/internal/outbox"
)

// My account's jobs, run by the mailer (Links).
const (
	// PasswordResetKind: someone asked for a reset link for an address.
	// The mailer looks the address up (so the answer revealed nothing),
	// mints the link and mails it, at most once per interval.
	PasswordResetKind outbox.Kind = "password_reset_request"
	// EmailChangeKind: a signed-in customer asked to move to a new
	// address; the mailer mints the link and mails it there.
	EmailChangeKind outbox.Kind = "email_change_request"
	// ErasureKind: an erased customer's remaining items (sessions,
	// activity, mails) are swept from the table.
	ErasureKind outbox.Kind = "erasure"
)

// PasswordResetJob asks for a reset link for an address, as typed, in the
// caller's language should the account have none.
type PasswordResetJob struct {
	Email    string `json:"email"`
	Language string `json:"language,omitempty"`
}

// Kind implements outbox.Content.
func (PasswordResetJob) Kind() outbox.Kind { return PasswordResetKind }

// TypedAddress implements outbox.TypedAddress.
func (c PasswordResetJob) TypedAddress() string { return c.Email }
func (c PasswordResetJob) Check() error         { return outbox.Need("an address", c.Email) }

// EmailChangeJob mints and mails the link confirming a customer's new
// address.
type EmailChangeJob struct {
	CustomerID string `json:"customerId"`
	NewEmail   string `json:"newEmail"`
}

// Kind implements outbox.Content.
func (EmailChangeJob) Kind() outbox.Kind { return EmailChangeKind }
func (c EmailChangeJob) Check() error {
	return outbox.Need("a customer and the new address", c.CustomerID, c.NewEmail)
}

// ErasureJob sweeps an erased customer's remaining items.
type ErasureJob struct {
	CustomerID string `json:"customerId"`
	// AddressDigest is customer.AddressDigest of the erased address: the
	// sweep finds the jobs that named it (never the address itself).
	AddressDigest string `json:"addressDigest,omitempty"`
}

// Kind implements outbox.Content.
func (ErasureJob) Kind() outbox.Kind { return ErasureKind }
func (c ErasureJob) Check() error    { return outbox.Need("a customer id", c.CustomerID) }
