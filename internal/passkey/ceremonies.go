package passkey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/openreg/registration/internal/apperr"
)

// MaxCredentialJSON bounds the credential a client may send. A "none"
// attestation or an assertion is well under 4 KiB; attestation
// certificate chains, which some authenticators send anyway, fit too.
const MaxCredentialJSON = 64 << 10

// The messages of invalid_credential answers. They name no challenge,
// key or credential; the cause (for the logs) says what failed.
const (
	msgMalformed   = "The credential is not a WebAuthn response."
	msgExpired     = "The passkey request has expired or is not for this step; ask for new options."
	msgNotVerified = "The passkey could not be verified."
	msgUnknown     = "This passkey is not registered here."
)

// ErrCounterWentBack is the cause (errors.Is) of a sign-in refused because
// the authenticator's signature counter did not move forward: the
// credential may have been cloned. The use case logs it as a warning.
var ErrCounterWentBack = errors.New("passkey: the signature counter did not increase")

// User is the customer a registration adds a passkey for.
type User struct {
	// ID is the customer ID; it becomes the WebAuthn user handle (at most
	// 64 bytes), which the authenticator returns at sign-in.
	ID string
	// Email is the account name an authenticator lists.
	Email string
	// DisplayName is shown beside it (the email when empty).
	DisplayName string
}

// Ceremonies begins and finishes the two WebAuthn ceremonies of one
// relying party. It keeps no state: what Finish* needs comes back as the
// stored Challenge.
type Ceremonies struct {
	cfg    Config
	wa     *webauthn.WebAuthn
	random io.Reader
	now    func() time.Time
}

// userVerification is asked of every ceremony: verify when the
// authenticator can, never refuse one that cannot.
const userVerification = protocol.VerificationPreferred

// New returns the ceremonies of cfg (see ConfigFor), drawing challenges
// from random (crypto/rand.Reader in production) and telling time by now.
func New(cfg Config, random io.Reader, now func() time.Time) (*Ceremonies, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if random == nil || now == nil {
		return nil, errors.New("passkey: New needs a random source and a clock")
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPName,
		RPOrigins:     cfg.Origins,
		// No attestation: we trust no authenticator model more than
		// another, and "none" keeps the browser from asking the user.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   userVerification,
		},
		// The options' timeout matches the challenge's lifetime. Expiry
		// is ours to check (with our clock), so the library's is off.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ChallengeLifetime, TimeoutUVD: ChallengeLifetime},
			Registration: webauthn.TimeoutConfig{Timeout: ChallengeLifetime, TimeoutUVD: ChallengeLifetime},
		},
		// We request no extension. Password managers and some browsers
		// return outputs nobody asked for (credProps, prf); WebAuthn Level 2
		// lets a relying party ignore them, and refusing them would refuse
		// those customers' passkeys.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Ceremonies{cfg: cfg, wa: wa, random: random, now: now}, nil
}

// Config returns the relying party the ceremonies serve.
func (c *Ceremonies) Config() Config { return c.cfg }

// newChallenge draws a challenge and its ID and returns the challenge
// bytes (for the options only) and the record to store.
func (c *Ceremonies) newChallenge(p Purpose, customerID string) ([]byte, Challenge, error) {
	b := make([]byte, challengeIDBytes+challengeBytes)
	if _, err := io.ReadFull(c.random, b); err != nil {
		return nil, Challenge{}, fmt.Errorf("passkey: read random: %w", err)
	}
	id, plain := b[:challengeIDBytes], b[challengeIDBytes:]
	return plain, Challenge{
		ID:         base64.RawURLEncoding.EncodeToString(id),
		Digest:     digest(plain),
		Purpose:    p,
		RPID:       c.cfg.RPID,
		CustomerID: customerID,
		ExpiresAt:  c.now().Add(ChallengeLifetime),
	}, nil
}

// digest is the stored form of challenge bytes.
func digest(challenge []byte) string {
	sum := sha256.Sum256(challenge)
	return hex.EncodeToString(sum[:])
}

// options is what a Begin* returns: the library's options with the
// challenge ID beside publicKey.
type options[T any] struct {
	ChallengeID string `json:"challengeId"`
	PublicKey   T      `json:"publicKey"`
}

// begun is what a Begin* returns once the library has made publicKey:
// the options to answer and ch, the Challenge to store.
func begun[T any](ch Challenge, publicKey T) (json.RawMessage, Challenge, error) {
	b, err := json.Marshal(options[T]{ChallengeID: ch.ID, PublicKey: publicKey})
	if err != nil {
		return nil, Challenge{}, fmt.Errorf("passkey: encode options: %w", err)
	}
	return b, ch, nil
}

// usable refuses a challenge that cannot finish a ceremony of purpose p
// here: expired, made for the other ceremony, or for another relying
// party.
func (c *Ceremonies) usable(ch Challenge, p Purpose) error {
	switch {
	case ch.Purpose != p:
		return apperr.Wrap(apperr.InvalidCredential, msgExpired,
			fmt.Errorf("passkey: a %q challenge cannot finish a %q ceremony", ch.Purpose, p))
	case !c.now().Before(ch.ExpiresAt):
		return apperr.Wrap(apperr.InvalidCredential, msgExpired,
			fmt.Errorf("passkey: the challenge expired at %s", ch.ExpiresAt.UTC().Format(time.RFC3339)))
	case ch.RPID != c.cfg.RPID:
		return apperr.Wrap(apperr.InvalidCredential, msgExpired,
			fmt.Errorf("passkey: the challenge was issued for relying party %q, not %q", ch.RPID, c.cfg.RPID))
	case p == PurposeRegister && ch.CustomerID == "":
		return apperr.Wrap(apperr.Internal, "Internal error.", errors.New("passkey: a register challenge names no customer"))
	}
	return nil
}

// checkSize refuses an empty or oversized credential before parsing.
func checkSize(credentialJSON []byte) error {
	switch {
	case len(credentialJSON) == 0:
		return apperr.Wrap(apperr.InvalidCredential, msgMalformed, errors.New("passkey: no credential"))
	case len(credentialJSON) > MaxCredentialJSON:
		return apperr.Wrap(apperr.InvalidCredential, msgMalformed,
			fmt.Errorf("passkey: the credential has %d bytes, more than %d", len(credentialJSON), MaxCredentialJSON))
	}
	return nil
}

// matchChallenge compares the challenge a client signed (the text in its
// clientDataJSON) with the stored digest, in constant time. It returns
// the text for the library to compare again. Only the canonical encoding
// (unpadded base64url, as browsers write it) can match, so the library's
// own comparison, which is textual, never fails on a challenge we
// accepted (its error would quote both challenges).
func matchChallenge(ch Challenge, signed string) (string, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(signed)
	if err != nil || len(b) != challengeBytes ||
		subtle.ConstantTimeCompare([]byte(digest(b)), []byte(ch.Digest)) != 1 {
		return "", apperr.Wrap(apperr.InvalidCredential, msgNotVerified,
			errors.New("passkey: the signed challenge is not the challenge of this ceremony"))
	}
	return signed, nil
}

// readAnswer is the common start of both Finish*: it refuses ch unless it
// can finish a ceremony of purpose p here, refuses an empty or oversized
// credentialJSON, parses it with parse (a malformed one is
// invalid_credential) and matches the challenge signed says it signed (the
// text in its clientDataJSON) against ch. It returns the parsed answer and
// the session data the library verifies it with.
func readAnswer[T any](c *Ceremonies, ch Challenge, p Purpose, credentialJSON []byte,
	parse func([]byte) (*T, error), signed func(*T) string,
) (*T, webauthn.SessionData, error) {
	if err := c.usable(ch, p); err != nil {
		return nil, webauthn.SessionData{}, err
	}
	if err := checkSize(credentialJSON); err != nil {
		return nil, webauthn.SessionData{}, err
	}
	parsed, err := parse(credentialJSON)
	if err != nil {
		return nil, webauthn.SessionData{}, malformed(err)
	}
	challenge, err := matchChallenge(ch, signed(parsed))
	if err != nil {
		return nil, webauthn.SessionData{}, err
	}
	return parsed, webauthn.SessionData{
		Challenge:        challenge,
		RelyingPartyID:   ch.RPID,
		UserVerification: userVerification,
	}, nil
}

// malformed turns a parse failure into invalid_credential.
func malformed(err error) error {
	return apperr.Wrap(apperr.InvalidCredential, msgMalformed, libraryCause("parse", err))
}

// notVerified turns a verification failure into invalid_credential.
func notVerified(err error, challenge string) error {
	return apperr.Wrap(apperr.InvalidCredential, msgNotVerified, libraryCause("verify", err, challenge))
}

// libraryCause flattens a go-webauthn error into one line for the logs:
// its type, details and developer information, with the challenge text
// blanked wherever it appears, and without the library's error chain
// (whose texts are not ours to vouch for).
func libraryCause(step string, err error, challenge ...string) error {
	var s string
	var pe *protocol.Error
	if errors.As(err, &pe) {
		s = pe.Type + ": " + pe.Details
		if pe.DevInfo != "" {
			s += " (" + pe.DevInfo + ")"
		}
	} else {
		s = err.Error()
	}
	for _, c := range challenge {
		if c != "" {
			s = strings.ReplaceAll(s, c, "[challenge]")
		}
	}
	return fmt.Errorf("passkey: webauthn %s: %s", step, strings.ReplaceAll(s, "\n", " "))
}

// waUser is a customer as go-webauthn sees one.
type waUser struct {
	id            []byte
	name, display string
	credentials   []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return u.id }
func (u waUser) WebAuthnName() string                       { return u.name }
func (u waUser) WebAuthnDisplayName() string                { return u.display }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

// transports converts stored transport hints for the library.
func transports(ts []string) []protocol.AuthenticatorTransport {
	out := make([]protocol.AuthenticatorTransport, 0, len(ts))
	for _, t := range ts {
		out = append(out, protocol.AuthenticatorTransport(t))
	}
	return out
}
