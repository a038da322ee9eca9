package passkey

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
)

// ChallengeLifetime is how long a challenge can finish its ceremony.
const ChallengeLifetime = 5 * time.Minute

// MaxNameLength is the longest name a customer may give a passkey, in
// characters.
const MaxNameLength = 64

// Purpose says which ceremony a challenge belongs to.
type Purpose string

// The two ceremonies.
const (
	PurposeRegister Purpose = "register"
	PurposeSignIn   Purpose = "signin"
)

// Credential is one stored passkey: a public key bound to a customer and
// to the relying party it was made for. Nothing in it is secret.
type Credential struct {
	// ID is the credential ID the authenticator chose (1–1023 bytes); it
	// is what an assertion names, so the store looks credentials up by it.
	ID         []byte
	CustomerID string
	// PublicKey is the COSE_Key the authenticator attested, as sent.
	PublicKey []byte
	// Algorithm is the key's COSE algorithm (-7 ES256, -257 RS256, -8
	// EdDSA, ...).
	Algorithm int64
	// SignCount is the last signature counter seen (0 for authenticators
	// that keep none, such as synced passkeys).
	SignCount uint32
	// AAGUID names the authenticator model ("00000000-0000-0000-0000-
	// 000000000000" when it does not say, as with "none" attestation).
	AAGUID string
	// Transports are the authenticator's hints ("internal", "hybrid",
	// "usb", ...), sent back in excludeCredentials.
	Transports []string
	// BackupEligible: the credential may be synced (a multi-device
	// passkey). It never changes; an assertion that says otherwise is
	// refused.
	BackupEligible bool
	// BackupState: the credential is synced now (updated on each sign-in).
	BackupState bool
	// Name is what the customer called it ("" lets the storefront show a
	// default).
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	// AddedBySession is the digest of the session that added the passkey
	// (session.Session.Digest): a password reset, a password change or
	// "sign out everywhere" removes the passkeys of the sessions it ended,
	// so whoever held a stolen session cannot keep a way back in.
	AddedBySession string
}

// IDText is the credential ID as a client names it (unpadded base64url,
// the form of `DELETE /v1/customers/me/passkeys/{id}`).
func (c Credential) IDText() string { return base64.RawURLEncoding.EncodeToString(c.ID) }

// ParseCredentialID reads a credential ID written by IDText; ok is false
// for anything that could not be one, without a lookup.
func ParseCredentialID(s string) (id []byte, ok bool) {
	if len(s) == 0 || len(s) > base64.RawURLEncoding.EncodedLen(maxCredentialIDLength) {
		return nil, false
	}
	id, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return id, err == nil && len(id) > 0
}

// maxCredentialIDLength is the longest credential ID WebAuthn allows.
const maxCredentialIDLength = 1023

// Challenge is one begun ceremony, as stored between its options and its
// finish. It holds no usable challenge: only the SHA-256 digest of the
// challenge bytes. Finishing recomputes the digest from the challenge the
// client signed (inside clientDataJSON) and compares, so a leaked or
// listed table gives nothing to replay, and a challenge is never logged.
//
// A challenge is single use: the store deletes it with a conditional
// delete (it must still exist, and ExpiresAt must still be ahead) before
// or as it hands it to Finish*, and finishes no ceremony whose delete
// failed. Finish* checks expiry, purpose and relying party again, but
// cannot know whether a record was used before.
type Challenge struct {
	// ID is random and public: the client echoes it as challengeId. It
	// keys the stored challenge and is not the challenge.
	ID string
	// Digest is the hex SHA-256 of the challenge bytes.
	Digest  string
	Purpose Purpose
	// RPID is the relying party the challenge was issued for; finishing
	// on another refuses it.
	RPID string
	// CustomerID is whose passkey a registration adds ("" for sign-in).
	CustomerID string
	ExpiresAt  time.Time
}

// challengeIDBytes is the entropy of a challenge ID; challengeBytes of
// a challenge (the length browsers and go-webauthn use).
const (
	challengeIDBytes = 16
	challengeBytes   = 32
)

var challengeIDLength = base64.RawURLEncoding.EncodedLen(challengeIDBytes)

// WellFormedChallengeID reports whether s could be a Challenge.ID this
// package made, so a forged challengeId never costs a read.
func WellFormedChallengeID(s string) bool {
	if len(s) != challengeIDLength {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == challengeIDBytes
}

// CheckName returns the name a customer gave a passkey with the spaces
// around it trimmed, or a validation error on field "name": at most
// MaxNameLength characters, no control or format characters
// (customer.HasControl). The use case may call it before it spends the
// challenge; FinishRegistration calls it first as well.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	var f apperr.Fields
	switch {
	case customer.HasControl(name):
		f.Add("name", "control_character", "The name must not contain control or formatting characters.")
	case utf8.RuneCountInString(name) > MaxNameLength:
		f.Add("name", "too_long", fmt.Sprintf("The name must have at most %d characters.", MaxNameLength))
	}
	return name, f.Err()
}
