package passkey

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
)

// BeginSignIn starts a passkey sign-in that needs no login typed first:
// the request options for navigator.credentials.get (`{"challengeId",
// "publicKey"}`, with no allowCredentials, so the browser offers every
// passkey it holds for the RP ID) and the Challenge to store.
func (c *Ceremonies) BeginSignIn() (json.RawMessage, Challenge, error) {
	plain, ch, err := c.newChallenge(PurposeSignIn, "")
	if err != nil {
		return nil, Challenge{}, err
	}
	assertion, _, err := c.wa.BeginDiscoverableLogin(webauthn.WithChallenge(plain))
	if err != nil {
		return nil, Challenge{}, fmt.Errorf("passkey: begin sign-in: %w", err)
	}
	return begun(ch, assertion.Response)
}

// Finder returns the stored credential with credentialID, which must
// belong to the customer whose ID is userHandle (as text): an error with
// code apperr.NotFound when there is none (then the sign-in is refused
// with invalid_credential), any other error when it cannot tell (returned
// unchanged: a dependency failing is not the client's fault). The
// credential must be of the store whose Ceremonies finish the sign-in.
type Finder func(credentialID, userHandle []byte) (Credential, error)

// FinishSignIn verifies the client's answer to a sign-in challenge
// (credentialJSON: the PublicKeyCredential as JSON) and returns the
// credential that signed, its counter, backup state and LastUsedAt
// updated, for the store to write back and the use case to sign its
// customer in.
//
// It refuses, with invalid_credential, a challenge that is expired, for
// registration or for another relying party; a credential that is not a
// WebAuthn assertion; one whose signed challenge is not ch's; one without
// a user handle shaped like a customer ID (before any lookup); one find
// does not know; one that fails go-webauthn's verification (type
// webauthn.get, origin, RP ID hash, user presence, signature by the stored
// key, user handle = the credential's customer, backup eligibility
// unchanged); and one whose signature counter went backwards: when the
// stored or the presented counter is non-zero, the presented one must be
// greater (synced passkeys report 0 every time and pass). That last
// refusal's cause wraps ErrCounterWentBack with both counters.
//
// The store should write the new counter on the condition that the
// stored one is still the one find returned, so two assertions racing
// with one counter value cannot both sign in.
func (c *Ceremonies) FinishSignIn(ch Challenge, credentialJSON []byte, find Finder) (Credential, error) {
	parsed, session, err := readAnswer(c, ch, PurposeSignIn, credentialJSON,
		protocol.ParseCredentialRequestResponseBytes, signedInAssertion)
	if err != nil {
		return Credential{}, err
	}
	handle := parsed.Response.UserHandle
	if !customer.ValidID(string(handle)) {
		return Credential{}, apperr.Wrap(apperr.InvalidCredential, msgUnknown,
			fmt.Errorf("passkey: the user handle (%d bytes) is not a customer ID", len(handle)))
	}
	stored, err := find(parsed.RawID, handle)
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		return Credential{}, apperr.Wrap(apperr.InvalidCredential, msgUnknown, err)
	case err != nil:
		return Credential{}, err
	case !bytes.Equal(stored.ID, parsed.RawID) || stored.CustomerID != string(handle):
		return Credential{}, apperr.Wrap(apperr.InvalidCredential, msgUnknown,
			fmt.Errorf("passkey: the store returned another credential than the one that signed"))
	}
	user := waUser{id: []byte(stored.CustomerID), credentials: []webauthn.Credential{{
		ID:        stored.ID,
		PublicKey: stored.PublicKey,
		Transport: transports(stored.Transports),
		Flags: webauthn.CredentialFlags{
			BackupEligible: stored.BackupEligible,
			BackupState:    stored.BackupState,
		},
		Authenticator: webauthn.Authenticator{SignCount: stored.SignCount},
	}}}
	_, _, err = c.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return user, nil }, session, parsed)
	if err != nil {
		return Credential{}, notVerified(err, session.Challenge)
	}
	data := parsed.Response.AuthenticatorData
	if presented := data.Counter; (stored.SignCount != 0 || presented != 0) && presented <= stored.SignCount {
		return Credential{}, apperr.Wrap(apperr.InvalidCredential, msgNotVerified,
			fmt.Errorf("%w: stored %d, presented %d (the authenticator may have been cloned)",
				ErrCounterWentBack, stored.SignCount, presented))
	}
	updated := stored
	updated.SignCount = data.Counter
	updated.BackupState = data.Flags.HasBackupState()
	updated.LastUsedAt = c.now()
	return updated, nil
}

// signedInAssertion is the challenge an assertion says it signed.
func signedInAssertion(p *protocol.ParsedCredentialAssertionData) string {
	return p.Response.CollectedClientData.Challenge
}
