package registration

import (
	"github.com/openreg/registration/internal/outbox"
)

// CompleteKind: a registration under double opt-in or approval was stored
// as pending. The mailer's Completer decides what it is: a new account (it
// gets a link), a replacement of an account that never confirmed its
// address (the new registration wins, and gets a new link), or an attempt
// on a verified account (its owner gets an AccountExists notice). The
// request looked nothing up, so its answer is the same in every case.
const CompleteKind outbox.Kind = "complete_registration"

// CompleteJob finishes a pending registration.
type CompleteJob struct {
	RegistrationID string `json:"registrationId"`
	StoreID        string `json:"storeId,omitempty"`
}

// Kind implements outbox.Content.
func (CompleteJob) Kind() outbox.Kind { return CompleteKind }
func (c CompleteJob) Check() error    { return outbox.Need("a registration id", c.RegistrationID) }
