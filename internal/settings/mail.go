package settings

import "net/mail"

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
