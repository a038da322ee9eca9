package account

import (
	"github.com/openreg/registration/internal/outbox"
)

// VerificationLinkKind: a customer whose address is not verified yet signed
// in with the right password (a SignIn's Job), or the back office invited
// or re-invited one; the mailer mails a fresh link if none went out within
// the resend interval (verification.Linker runs it).
const VerificationLinkKind outbox.Kind = "verification_link"

// VerificationLinkJob mails a fresh link to an unverified customer.
type VerificationLinkJob struct {
	CustomerID string `json:"customerId"`
	StoreID    string `json:"storeId,omitempty"`
	// Invitation: mail the invitation wording (no password was set).
	Invitation bool `json:"invitation,omitempty"`
}

// Kind implements outbox.Content.
func (VerificationLinkJob) Kind() outbox.Kind { return VerificationLinkKind }
func (c VerificationLinkJob) Check() error    { return outbox.Need("a customer id", c.CustomerID) }
