package verification

import (
	"github.com/openreg/registration/internal/outbox"
)

// ResendKind: a customer asked for a new verification link. The mailer's
// Resender decides whether one is due and then sends an EmailValidation
// mail.
const ResendKind outbox.Kind = "resend_verification"

// ResendJob asks for a new verification link for an address, as typed by
// the caller, in the caller's language should the account have none.
type ResendJob struct {
	Email    string `json:"email"`
	Language string `json:"language,omitempty"`
}

// Kind implements outbox.Content.
func (ResendJob) Kind() outbox.Kind { return ResendKind }

// TypedAddress implements outbox.TypedAddress.
func (c ResendJob) TypedAddress() string { return c.Email }
func (c ResendJob) Check() error         { return outbox.Need("an address", c.Email) }
