package customer

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"
)

// ActivityType names an entry in a customer's activity log.
type ActivityType string

// Activity types.
const (
	ActivityRegistered    ActivityType = "registered"
	ActivityEmailVerified ActivityType = "email_verified"
	ActivitySignedIn      ActivityType = "signed_in"
	ActivitySignedOut     ActivityType = "signed_out"
	// ActivitySessionEnded: a session was refused and ended because its
	// account can no longer sign in.
	ActivitySessionEnded  ActivityType = "session_ended"
	ActivityRegisterAgain ActivityType = "registration_attempt_existing_email"
	// ActivityRegistrationReplaced: the address was registered again before
	// it was confirmed, and the new registration replaced the old.
	ActivityRegistrationReplaced ActivityType = "registration_replaced"
	ActivitySignInFailed         ActivityType = "sign_in_failed"
	ActivityPasswordRehash       ActivityType = "password_rehashed"
	// ActivityLinkMailed: the mailer minted a verification link and mailed
	// it (a resend, a sign-in of an unverified account, the back office).
	ActivityLinkMailed ActivityType = "link_mailed"
	// My account.
	ActivitySignedOutEverywhere  ActivityType = "signed_out_everywhere"
	ActivityPasswordChanged      ActivityType = "password_changed"
	ActivityPasswordReset        ActivityType = "password_reset"
	ActivityProfileUpdated       ActivityType = "profile_updated"
	ActivityEmailChangeRequested ActivityType = "email_change_requested"
	ActivityEmailChanged         ActivityType = "email_changed"
	ActivityDeleted              ActivityType = "deleted"
	// ActivityExported: an administrator acting as the customer read the
	// export (a customer's own export is not logged).
	ActivityExported ActivityType = "exported"
	// Back office.
	ActivityApproved     ActivityType = "approved"
	ActivityDeactivated  ActivityType = "deactivated"
	ActivityImpersonated ActivityType = "impersonated"
	// Passkeys (package passkey): added, removed (by the customer, or by a
	// recovery that ended the session that added it), used to sign in.
	ActivityPasskeyAdded   ActivityType = "passkey_added"
	ActivityPasskeyRemoved ActivityType = "passkey_removed"
	// ActivitySignInCodeMailed: a passwordless sign-in code went out.
	ActivitySignInCodeMailed ActivityType = "sign_in_code_mailed"
	// ActivityEmailUndeliverable: SES reported a hard bounce or a
	// complaint of the address (package deliverability).
	ActivityEmailUndeliverable ActivityType = "email_undeliverable"
)

// Activity is one entry of the activity log kept for auditing.
type Activity struct {
	CustomerID string
	Type       ActivityType
	At         time.Time
	// Detail is a short machine-readable note (the store, the source IP).
	Detail map[string]string
}

// ConsentRecord logs that a customer agreed or did not agree to a consent, with
// the exact message they were shown, as GDPR asks.
type ConsentRecord struct {
	CustomerID string
	ConsentID  string
	Agreed     bool
	Message    string
	At         time.Time
}

// PrivacyPolicyConsentID is the consent log id of the privacy policy box
// (settings.ReservedPrivacyConsent keeps stores from reusing it).
const PrivacyPolicyConsentID = "privacy_policy"

// NewsletterConsentID is the consent log id of newsletter subscriptions
// (settings.ReservedNewsletterConsent keeps stores from reusing it).
const NewsletterConsentID = "newsletter"

// NewID returns a random RFC 4122 version 4 UUID read from random.
func NewID(random io.Reader) (string, error) {
	if random == nil {
		random = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("customer: read random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// ValidID reports whether s has the shape NewID gives ids (a version 4 UUID
// in lower case), so a forged id in a token never reaches the table.
func ValidID(s string) bool {
	if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		default:
			return false
		}
	}
	return true
}
