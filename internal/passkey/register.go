package passkey

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/openreg/registration/internal/apperr"
)

// credentialParameters are the key types a registration accepts: the
// library's default list (ES256 first, RS256 for Windows Hello, EdDSA...).
// Finishing checks the new key against the same list.
var credentialParameters = webauthn.CredentialParametersDefault()

// BeginRegistration starts adding a passkey for u: it returns the creation
// options for navigator.credentials.create (`{"challengeId", "publicKey"}`)
// and the Challenge to store until the client finishes.
//
// The options ask for a discoverable credential (residentKey "required",
// so the passkey can sign in without a login typed first), user
// verification "preferred", no attestation, and list every existing
// credential in excludeCredentials, so an authenticator already holding
// one of u's passkeys refuses to make a second.
func (c *Ceremonies) BeginRegistration(u User, existing []Credential) (json.RawMessage, Challenge, error) {
	if n := len(u.ID); n == 0 || n > protocol.MaximumUserHandleLength {
		return nil, Challenge{}, fmt.Errorf("passkey: a customer ID of %d bytes cannot be a user handle", n)
	}
	plain, ch, err := c.newChallenge(PurposeRegister, u.ID)
	if err != nil {
		return nil, Challenge{}, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(existing))
	for _, e := range existing {
		exclude = append(exclude, protocol.CredentialDescriptor{
			Type:         protocol.PublicKeyCredentialType,
			CredentialID: e.ID,
			Transport:    transports(e.Transports),
		})
	}
	name, display := u.Email, u.DisplayName
	if name == "" {
		name = u.ID
	}
	if display == "" {
		display = name
	}
	creation, _, err := c.wa.BeginRegistration(
		waUser{id: []byte(u.ID), name: name, display: display},
		withCreationChallenge(plain),
		webauthn.WithCredentialParameters(credentialParameters),
		webauthn.WithExclusions(exclude),
	)
	if err != nil {
		return nil, Challenge{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return begun(ch, creation.Response)
}

// withCreationChallenge puts our challenge (from the injected random
// source) in place of the one the library drew from crypto/rand.
func withCreationChallenge(plain []byte) webauthn.RegistrationOption {
	return func(o *protocol.PublicKeyCredentialCreationOptions) error {
		o.Challenge = plain
		return nil
	}
}

// FinishRegistration verifies the client's answer to a register challenge
// (credentialJSON: the PublicKeyCredential as JSON, the form of
// PublicKeyCredential.toJSON()) and returns the passkey to store, named
// name (see CheckName) and marked as added by the session whose digest is
// addedBySession.
//
// It refuses, with invalid_credential, a challenge that is expired, for
// sign-in or for another relying party; a credential that is not a
// WebAuthn registration response; one whose signed challenge is not ch's
// (recomputed digest, constant-time compare); and one that fails
// go-webauthn's verification (type webauthn.create, origin in Config.Origins,
// RP ID hash, user presence, key algorithm among those offered, "none" or a
// valid attestation statement, backup flags consistent). A bad name is a
// validation error on field "name", checked first.
//
// The store must write the credential on the condition that its ID is not
// stored yet (credential IDs are unique; a second customer claiming one is
// refused), and must have deleted ch conditionally first (single use).
func (c *Ceremonies) FinishRegistration(ch Challenge, credentialJSON []byte, name, addedBySession string) (Credential, error) {
	name, err := CheckName(name)
	if err != nil {
		return Credential{}, err
	}
	parsed, session, err := readAnswer(c, ch, PurposeRegister, credentialJSON,
		protocol.ParseCredentialCreationResponseBytes, signedInCreation)
	if err != nil {
		return Credential{}, err
	}
	user := waUser{id: []byte(ch.CustomerID)}
	session.UserID, session.CredParams = user.id, credentialParameters
	wc, err := c.wa.CreateCredential(user, session, parsed)
	if err != nil {
		return Credential{}, notVerified(err, session.Challenge)
	}
	alg, err := keyAlgorithm(wc.PublicKey)
	if err != nil {
		return Credential{}, apperr.Wrap(apperr.InvalidCredential, msgNotVerified, err)
	}
	now := c.now()
	ts := make([]string, 0, len(wc.Transport))
	for _, t := range wc.Transport {
		ts = append(ts, string(t))
	}
	return Credential{
		ID:             wc.ID,
		CustomerID:     ch.CustomerID,
		PublicKey:      wc.PublicKey,
		Algorithm:      alg,
		SignCount:      wc.Authenticator.SignCount,
		AAGUID:         formatAAGUID(wc.Authenticator.AAGUID),
		Transports:     ts,
		BackupEligible: wc.Flags.BackupEligible,
		BackupState:    wc.Flags.BackupState,
		Name:           name,
		CreatedAt:      now,
		LastUsedAt:     now,
		AddedBySession: addedBySession,
	}, nil
}

// signedInCreation is the challenge a registration response says it signed.
func signedInCreation(p *protocol.ParsedCredentialCreationData) string {
	return p.Response.CollectedClientData.Challenge
}

// keyAlgorithm reads the COSE algorithm of a public key the library has
// already parsed and checked.
func keyAlgorithm(coseKey []byte) (int64, error) {
	var pk webauthncose.PublicKeyData
	if err := webauthncbor.Unmarshal(coseKey, &pk); err != nil {
		return 0, fmt.Errorf("passkey: read the key's algorithm: %w", err)
	}
	if pk.Algorithm == 0 {
		return 0, errors.New("passkey: the key names no algorithm")
	}
	return pk.Algorithm, nil
}

// formatAAGUID writes a 16-byte AAGUID as a UUID.
func formatAAGUID(b []byte) string {
	if len(b) != 16 {
		b = make([]byte, 16)
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
