package settings

import "regexp"

// RegistrationType is how a new account becomes usable.
type RegistrationType string

// The registration types of the seed system.
const (
	// Standard accounts are active at once and signed in.
	Standard RegistrationType = "Standard"
	// EmailValidation accounts are active after the customer confirms the
	// mailed link (double opt-in).
	EmailValidation RegistrationType = "EmailValidation"
	// AdminApproval accounts confirm their address and then wait for an
	// administrator.
	AdminApproval RegistrationType = "AdminApproval"
	// Disabled refuses all registrations.
	Disabled RegistrationType = "Disabled"
)

func (t RegistrationType) valid() bool {
	switch t {
	case Standard, EmailValidation, AdminApproval, Disabled:
		return true
	}
	return false
}

// busPattern is what EventBridge accepts as a custom bus name.
var busPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
