package settings

import (
	"net/mail"
	"slices"
	"time"
)

// Resend throttles new verification links per address (per client:
// ClientLimits.Resend).
type Resend struct {
	// Interval is the least time between two links mailed to one address.
	Interval Duration `json:"interval"`
}

// OwnerLanguage is the language of store-owner notifications.
func (s Settings) OwnerLanguage() string {
	if s.StoreOwnerLanguage != "" {
		return s.StoreOwnerLanguage
	}
	return s.DefaultLanguage
}

func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// validateMail checks the sender, the store owner's notices and the resend
// interval.
func (s Settings) validateMail(p *problems) {
	if !plainAddress(s.MailFrom) {
		p.bad("mailFrom", "must be a plain email address, got %q", s.MailFrom)
	}
	if s.StoreOwnerLanguage != "" && !slices.Contains(s.Languages, s.StoreOwnerLanguage) {
		p.bad("storeOwnerLanguage", "%q must be one of languages %v", s.StoreOwnerLanguage, s.Languages)
	}
	p.durationIn("resend.interval", s.Resend.Interval, time.Second, 24*time.Hour, "")
	if s.NotifyStoreOwner && !plainAddress(s.StoreOwnerEmail) {
		p.bad("storeOwnerEmail", "must be a plain email address when notifyStoreOwner is on, got %q", s.StoreOwnerEmail)
	}
}
