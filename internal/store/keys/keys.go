// Package keys is the table's key layout, declared once: the prefixes of
// its partition keys (PK) and the sort keys (SK) of its items. The store
// builds every key from these constants; infra/stack grants each function
// the partitions it may reach (IAM dynamodb:LeadingKeys) by them; the data
// model in internal/store/README.md names them, and this package's test
// holds the README's table and these constants to each other. It imports
// almost nothing, so the CDK app and the in-memory store use it without the
// DynamoDB store.
package keys

import "encoding/base64"

// Partition key prefixes: a partition key is one of these followed by what
// names the partition (an id, a normalised login, a digest; see the README).
const (
	Customer     = "CUSTOMER#"
	Email        = "EMAIL#"
	Username     = "USERNAME#"
	Registration = "REGISTRATION#"
	Outbox       = "OUTBOX#"
	// OutboxAddress is the part of Outbox that holds the jobs naming a
	// typed address, under the address's digest: what grants Outbox grants
	// it too.
	OutboxAddress = Outbox + "ADDRESS#"
	Guest         = "GUEST#"
	Mailed        = "MAILED#"
	Suppress      = "SUPPRESS#"
	Resend        = "RESEND#"
	Notice        = "NOTICE#"
	Reset         = "RESET#"
	SignInCode    = "SIGNINCODE#"
	Newsletter    = "NEWSLETTER#"
	Throttle      = "THROTTLE#"
	Rate          = "RATE#"
	Login         = "LOGIN#"
	// Imported holds the external ids imports claimed, by store: a
	// re-import of one is skipped.
	Imported = "IMPORTED#"
	// PasskeyChallenge holds the passkey ceremonies begun and not yet
	// finished: a sign-in's under its challenge id, a registration's under
	// PasskeyRegistration and its customer's id (a customer has one
	// pending registration). A challenge id is unpadded base64url, so it
	// never spells PasskeyRegistration's "CUSTOMER#".
	PasskeyChallenge = "PASSKEYCHALLENGE#"
	// PasskeyRegistration is the part of PasskeyChallenge that holds the
	// registration challenges, by customer id: what grants
	// PasskeyChallenge grants it too.
	PasskeyRegistration = PasskeyChallenge + Customer
)

// Partitions are all the partition key prefixes.
var Partitions = []string{Customer, Email, Username, Registration, Outbox, OutboxAddress, Guest, Mailed,
	Suppress, Resend, Notice, Reset, SignInCode, Newsletter, Throttle, Rate, Login, PasskeyChallenge, PasskeyRegistration, Imported}

// Sort keys: an item's sort key is one of the fixed ones, or starts with
// one of the prefixes (those ending in '#').
const (
	SKProfile  = "PROFILE"  // a customer
	SKKey      = "KEY"      // an email or username key
	SKPending  = "PENDING"  // a pending registration
	SKCount    = "COUNT"    // a throttle counter or client limit
	SKMail     = "MAIL"     // an outbox mail under its own key
	SKGuest    = "GUEST"    // a guest
	SKCart     = "CART"     // a customer's cart
	SKLedger   = "LEDGER"   // the mail ledger's entry of a message
	SKSuppress = "SUPPRESS" // a suppressed address
	SKResend   = "RESEND"   // the resend, notice and reset throttles
	// SKChallenge is a passkey challenge's (PasskeyChallenge).
	SKChallenge = "CHALLENGE"

	SKSession  = "SESSION#"  // a session, in its customer's partition
	SKActivity = "ACTIVITY#" // an activity log entry
	SKConsent  = "CONSENT#"  // a consent log entry
	SKEvent    = "EVENT#"    // an event item
	SKAttempt  = "ATTEMPT#"  // a failed sign-in without an account
	SKOutbox   = Outbox      // a mail in a customer's or an address's partition
	// SKNewsletter is a newsletter subscription's, by newsletter type.
	SKNewsletter = "TYPE#"
	// SKPasskey is a passkey's, in its customer's partition, by its
	// credential id (passkey.Credential.IDText). It sorts before PROFILE,
	// outside the PROFILE..SESSION# range SessionsOf reads.
	SKPasskey = "PASSKEY#"
)

// SortKeys are all the sort keys and sort key prefixes.
var SortKeys = []string{SKProfile, SKKey, SKPending, SKCount, SKMail, SKGuest, SKCart, SKLedger, SKSuppress, SKResend,
	SKChallenge, SKSession, SKActivity, SKConsent, SKEvent, SKAttempt, SKOutbox, SKNewsletter, SKPasskey}

// Cursor is the page cursor that resumes a listing after the (sort) key sk:
// opaque to clients, and what FromCursor reads back.
func Cursor(sk string) string { return base64.RawURLEncoding.EncodeToString([]byte(sk)) }

// FromCursor returns the key a cursor resumes after: "" for no cursor (the
// first page); ok is false for a cursor Cursor did not make.
func FromCursor(cursor string) (sk string, ok bool) {
	if cursor == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	return string(b), err == nil && len(b) > 0
}
