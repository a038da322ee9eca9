package settings

import (
	"regexp"
	"strings"
)

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

// validateStore checks the store's name and id, the registration type and
// the event bus.
func (s Settings) validateStore(p *problems) {
	if strings.TrimSpace(s.StoreName) == "" {
		p.bad("storeName", "must not be empty")
	}
	if !idPattern.MatchString(s.DefaultStoreID) {
		p.bad("defaultStoreId", "must be 1-64 letters, digits, '_', '.' or '-', got %q", s.DefaultStoreID)
	}
	if !s.RegistrationType.valid() {
		p.bad("registrationType", "must be one of Standard, EmailValidation, AdminApproval, Disabled; got %q", s.RegistrationType)
	}
	if !busPattern.MatchString(s.EventBusName) {
		p.bad("eventBusName", "must be 1-256 letters, digits, '.', '-' or '_', got %q", s.EventBusName)
	}
}
